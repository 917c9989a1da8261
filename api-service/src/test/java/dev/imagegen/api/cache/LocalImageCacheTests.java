package dev.imagegen.api.cache;

import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

import com.github.benmanes.caffeine.cache.Ticker;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.Test;

import org.springframework.http.MediaType;
import org.springframework.util.unit.DataSize;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The byte bound, the time to live and the off switch, with a clock moved by hand.
 */
class LocalImageCacheTests {

	private final AtomicLong now = new AtomicLong();

	private final Ticker ticker = this.now::get;

	private final ImageMemory memory = new ImageMemory(Long.MAX_VALUE);

	private LocalImageCache cache(String size, Duration ttl) {
		return cache(size, ttl, this.memory);
	}

	private LocalImageCache cache(String size, Duration ttl, ImageMemory memory) {
		return new LocalImageCache(new CacheProperties(DataSize.parse(size), ttl), this.ticker, new SimpleMeterRegistry(),
				memory);
	}

	@Test
	void theBoundIsInBytesAndHoldsWhenFilledPastIt() {
		LocalImageCache cache = cache("1MB", Duration.ofHours(1));
		byte[] image = new byte[100 * 1024];
		for (int i = 0; i < 40; i++) {
			cache.put("key-" + i, image, MediaType.IMAGE_PNG, i);
		}
		// 40 × 100 KB is 4 MB offered to a 1 MB cache: what stays fits the bound, and the newest is there.
		assertThat(cache.weightedSize()).isLessThanOrEqualTo(DataSize.ofMegabytes(1).toBytes())
			.isGreaterThan(DataSize.ofKilobytes(500).toBytes());
		long held = java.util.stream.IntStream.range(0, 40).filter((i) -> cache.get("key-" + i).isPresent()).count();
		assertThat(held).isBetween(5L, 10L);
	}

	@Test
	void droppedImagesAreFreedAtOnceWhileAReaderKeepsItsOwn() {
		// A churning cache once filled direct memory to -XX:MaxDirectMemorySize: evicted buffers waited for a
		// full collection. Now the cache's reference is released as an image leaves.
		LocalImageCache cache = cache("4MB", Duration.ofHours(1));
		int size = 1024 * 1024;
		byte[] first = new byte[size];
		Arrays.fill(first, (byte) 7);
		cache.put("key-0", first, MediaType.IMAGE_PNG, 0);
		StoredImage reader = cache.get("key-0").orElseThrow();
		long used = DirectMemory.used();
		for (int i = 1; i <= 20; i++) {
			cache.put("key-" + i, new byte[size], MediaType.IMAGE_PNG, i);
		}
		// 20 MB went through a 4 MB cache: what is still allocated is about the cache's bound.
		assertThat(DirectMemory.used() - used).isLessThan(6L * size);
		assertThat(DirectMemory.freedBy(cache::clear)).isGreaterThanOrEqualTo(2L * size);
		assertThat(cache.get("key-0")).isEmpty();
		// The dropped image's bytes are the reader's until it lets go.
		assertThat(reader.bytes()).isEqualTo(first);
		assertThat(DirectMemory.freedBy(reader::release)).isGreaterThanOrEqualTo(size);
	}

	@Test
	void theCacheHoldsOnlyWhatTheImagesThatMustBeKeptLeaveOfTheBudget() {
		ImageMemory memory = new ImageMemory(DataSize.ofMegabytes(1).toBytes());
		AtomicLong jobs = new AtomicLong(DataSize.ofKilobytes(600).toBytes());
		memory.register(jobs::get);
		LocalImageCache cache = cache("1MB", Duration.ofHours(1), memory);
		byte[] image = new byte[100 * 1024];
		for (int i = 0; i < 10; i++) {
			cache.put("key-" + i, image, MediaType.IMAGE_PNG, i);
		}
		assertThat(cache.weightedSize()).isLessThanOrEqualTo(memory.budget() - jobs.get())
			.isGreaterThan(DataSize.ofKilobytes(200).toBytes());
		long held = java.util.stream.IntStream.range(0, 10).filter((i) -> cache.get("key-" + i).isPresent()).count();
		assertThat(held).isBetween(2L, 4L);

		// Jobs take more: keeping one more of their images makes the cache give way at once.
		jobs.set(DataSize.ofKilobytes(900).toBytes());
		memory.keep(new StoredImage(new byte[50 * 1024], MediaType.IMAGE_PNG, 1, 0));
		assertThat(cache.weightedSize()).isLessThanOrEqualTo(memory.budget() - jobs.get() - 50 * 1024);

		// No room left for an image of this size: it is answered, not kept.
		StoredImage answered = cache.put("too-big", new byte[200 * 1024], MediaType.IMAGE_PNG, 11);
		assertThat(answered.isOffHeap()).isFalse();
		assertThat(cache.get("too-big")).isEmpty();
	}

	@Test
	void entriesExpireTheirTimeAfterBeingStoredAndTellTheirAge() {
		LocalImageCache cache = cache("1MB", Duration.ofHours(24));
		StoredImage stored = cache.put("fox", new byte[] { 1, 2, 3 }, MediaType.IMAGE_PNG, 42);
		this.now.addAndGet(Duration.ofMinutes(90).toNanos());
		assertThat(cache.get("fox")).hasValueSatisfying((hit) -> assertThat(cache.age(hit)).isEqualTo(Duration.ofMinutes(90)));
		assertThat(cache.age(stored)).isEqualTo(Duration.ofMinutes(90));
		this.now.addAndGet(Duration.ofHours(23).toNanos());
		assertThat(cache.get("fox")).isEmpty();
	}

	@Test
	void keptImagesLiveOffTheHeap() {
		// The cache (256 MB by default) is larger than the API's heap (128 MB): images kept on the heap filled it.
		LocalImageCache cache = cache("1MB", Duration.ofHours(1));
		byte[] bytes = { 1, 2, 3 };
		// The caller answers the array it has; the cache keeps a copy off the heap, each reader a reference to it.
		StoredImage stored = cache.put("fox", bytes, MediaType.IMAGE_PNG, 42);
		assertThat(stored.isOffHeap()).isFalse();
		StoredImage hit = cache.get("fox").orElseThrow();
		assertThat(hit.isOffHeap()).isTrue();
		assertThat(hit.bytes()).isEqualTo(bytes);
		assertThat(cache.get("fox").orElseThrow().sharesBytesWith(hit)).isTrue();
		cache.restore("owl", bytes, MediaType.IMAGE_PNG, 43, Duration.ofMinutes(1));
		assertThat(cache.get("owl").orElseThrow().isOffHeap()).isTrue();
	}

	@Test
	void anImageReadOffHeapIsKeptAsItIsNotCopied() {
		LocalImageCache cache = cache("1MB", Duration.ofHours(1));
		ByteBuf read = StoredImage.directBuffer(3).writeBytes(new byte[] { 1, 2, 3 });
		StoredImage stored = cache.put("fox", read, MediaType.IMAGE_PNG, 42);
		StoredImage hit = cache.get("fox").orElseThrow();
		assertThat(hit.sharesBytesWith(stored)).isTrue();
		assertThat(hit.bytes()).containsExactly(1, 2, 3);
		// The caller's reference and the reader's are released: the cache's own keeps the bytes.
		stored.release();
		hit.release();
		StoredImage later = cache.get("fox").orElseThrow();
		assertThat(later.bytes()).containsExactly(1, 2, 3);
		later.release();
		cache.clear();
		assertThat(read.refCnt()).isZero();
	}

	@Test
	void sizeZeroHoldsNothing() {
		LocalImageCache cache = cache("0", Duration.ofHours(1));
		byte[] bytes = { 1 };
		StoredImage stored = cache.put("fox", bytes, MediaType.IMAGE_JPEG, 7);
		assertThat(stored.seed()).isEqualTo(7);
		assertThat(stored.isOffHeap()).isFalse();
		assertThat(stored.bytes()).isSameAs(bytes);
		assertThat(cache.get("fox")).isEmpty();
		assertThat(cache.weightedSize()).isZero();
	}

}

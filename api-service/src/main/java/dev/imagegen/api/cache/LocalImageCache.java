package dev.imagegen.api.cache;

import java.time.Duration;
import java.util.Optional;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.Ticker;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.cache.CaffeineCacheMetrics;
import io.netty.buffer.ByteBuf;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

import org.springframework.http.MediaType;

/**
 * The in-memory {@link ImageCache}: Caffeine bounded by bytes (a weigher of image size plus overhead), entries
 * expiring a fixed time after they were stored. {@code IMAGE_CACHE_SIZE=0} turns it off: nothing is held,
 * every lookup misses.
 * <p>
 * An entry expires {@code IMAGE_CACHE_TTL} after its {@link StoredImage#storedAtNanos()}, not after it entered
 * this cache: an image another replica stored an hour ago and this one took from the shared tier
 * ({@link #restore}) keeps its age and its end, on every replica the same.
 */
final class LocalImageCache implements ImageCache {

	/** Key, record, headers: what an entry costs beyond its bytes, so that tiny images cannot flood the count. */
	static final int ENTRY_OVERHEAD = 256;

	private final Cache<String, StoredImage> cache;

	private static final Logger logger = LoggerFactory.getLogger(LocalImageCache.class);

	private final Ticker ticker;

	private final Counter notHeld;

	private final ImageMemory memory;

	/** {@code IMAGE_CACHE_SIZE}: the most the cache holds when the images' budget has room for it. */
	private final long maxBytes;

	LocalImageCache(CacheProperties properties, Ticker ticker, MeterRegistry meters, ImageMemory memory) {
		this.ticker = ticker;
		this.memory = memory;
		this.notHeld = Counter.builder("imagegen.cache.not.held")
			.description("Images not cached because the images' share of direct memory was taken")
			.register(meters);
		this.maxBytes = properties.size().toBytes();
		if (this.maxBytes == 0) {
			this.cache = null;
			return;
		}
		this.cache = Caffeine.newBuilder()
			.maximumWeight(this.maxBytes)
			.weigher((String key, StoredImage image) -> (int) Math.min(Integer.MAX_VALUE,
					(long) image.size() + ENTRY_OVERHEAD))
			.expireAfter(new UntilTtl(properties.ttl().toNanos()))
			.ticker(ticker)
			// The cache's reference to a dropped image (evicted, expired, replaced, cleared) is released on the
			// removing thread, so its direct memory is freed as it leaves, once no answer still writes it.
			.executor(Runnable::run)
			.removalListener((String key, StoredImage image, RemovalCause cause) -> image.release())
			.recordStats()
			.build();
		CaffeineCacheMetrics.monitor(meters, this.cache, "images");
		memory.registerCache(new ImageMemory.Yielding() {
			@Override
			public long heldBytes() {
				return held();
			}

			@Override
			public void shrinkTo(long bytes) {
				bound(Math.min(LocalImageCache.this.maxBytes, bytes));
				LocalImageCache.this.cache.cleanUp();
			}
		});
		Gauge.builder("imagegen.cache.bytes", this, LocalImageCache::weightedSize)
			.description("Bytes of images held by the image cache (image sizes plus a small overhead per entry)")
			.baseUnit("bytes")
			.register(meters);
	}

	@Override
	public Mono<StoredImage> find(String key) {
		return Mono.fromSupplier(() -> get(key).orElse(null));
	}

	/**
	 * Looks an image up in memory only.
	 * @param key the fingerprint
	 * @return the image, if held and not expired: a reference of the caller's own ({@link StoredImage#share()}),
	 * which it releases when done (an answer's {@code ImageAnswer} does)
	 */
	Optional<StoredImage> get(String key) {
		if (this.cache == null) {
			return Optional.empty();
		}
		StoredImage held = this.cache.getIfPresent(key);
		StoredImage mine = (held != null) ? held.share() : null;
		if (held != null && mine == null) {
			// Dropped and freed between the lookup and the share: whatever replaced it, if anything.
			held = this.cache.getIfPresent(key);
			mine = (held != null) ? held.share() : null;
		}
		return Optional.ofNullable(mine);
	}

	/**
	 * Holds an image that was stored elsewhere (the shared tier) some time ago, keeping its age.
	 * @param key the fingerprint
	 * @param bytes the bytes
	 * @param mediaType what they are
	 * @param seed the seed actually used
	 * @param age how long ago it was first stored
	 * @return the image (on the heap, the caller's), its {@link #age} being {@code age} now
	 */
	StoredImage restore(String key, byte[] bytes, MediaType mediaType, long seed, Duration age) {
		return hold(key, new StoredImage(bytes, mediaType, seed, this.ticker.read() - age.toNanos()));
	}

	/** @return whether the cache holds anything at all ({@code IMAGE_CACHE_SIZE} above 0) */
	boolean enabled() {
		return this.cache != null;
	}

	/** Drops every entry (tests: a replica that starts with an empty memory). */
	void clear() {
		if (this.cache != null) {
			this.cache.invalidateAll();
		}
	}

	@Override
	public StoredImage put(String key, ByteBuf content, MediaType mediaType, long seed) {
		return hold(key, StoredImage.taking(content, mediaType, seed, this.ticker.read()));
	}

	/**
	 * Keeps an image off-heap (see {@link StoredImage}: a reference of its own to an image off-heap already, a copy
	 * of one on the heap) and returns the image as given: the cache's own reference never leaves it (a new image may
	 * be evicted as soon as it is put), so the caller answers with the reference it already has, and later readers
	 * take references of their own ({@link #get}). The cache holds at most what the
	 * images' budget leaves it ({@link ImageMemory#roomForCache()}, never more than {@code IMAGE_CACHE_SIZE}): when
	 * URLs and retained jobs take more, it drops its least recently used images. An image that does not fit even
	 * so, or finds direct memory exhausted, is not kept, so that it cannot fill the heap instead: it is answered
	 * as it is, counted, and logged.
	 */
	private StoredImage hold(String key, StoredImage image) {
		if (this.cache == null) {
			return image;
		}
		long room = Math.min(this.maxBytes, this.memory.roomForCache());
		bound(room);
		if (image.size() + ENTRY_OVERHEAD > room) {
			return notHeld(image);
		}
		StoredImage held;
		try {
			held = image.offHeap();
		}
		catch (OutOfMemoryError ex) {
			return notHeld(image);
		}
		this.cache.put(key, held);
		return image;
	}

	private StoredImage notHeld(StoredImage image) {
		this.notHeld.increment();
		// Once, then every thousandth: the counter tells how often.
		if (this.notHeld.count() % 1000 == 1) {
			logger.warn("An image was not cached: the direct memory for kept images is taken (the cache's, the OpenAI "
					+ "URLs' and retained jobs' images share -XX:MaxDirectMemorySize; see docs/operations.md)");
		}
		return image;
	}

	/** Sets the cache's bound by bytes, when it changes: Caffeine then evicts down to it. */
	private void bound(long bytes) {
		this.cache.policy().eviction().ifPresent((eviction) -> {
			if (eviction.getMaximum() != bytes) {
				eviction.setMaximum(bytes);
			}
		});
	}

	/** @return the weighed bytes held, without running pending maintenance first (cheap, for the budget) */
	private long held() {
		return this.cache.policy().eviction().map((eviction) -> eviction.weightedSize().orElse(0)).orElse(0L);
	}

	@Override
	public Duration age(StoredImage image) {
		return Duration.ofNanos(Math.max(0, this.ticker.read() - image.storedAtNanos()));
	}

	/** Expires an entry {@code ttl} after it was first stored, wherever that was; a replacement starts anew. */
	private record UntilTtl(long ttlNanos) implements Expiry<String, StoredImage> {

		@Override
		public long expireAfterCreate(String key, StoredImage image, long currentTime) {
			return Math.max(0, this.ttlNanos - (currentTime - image.storedAtNanos()));
		}

		@Override
		public long expireAfterUpdate(String key, StoredImage image, long currentTime, long currentDuration) {
			return expireAfterCreate(key, image, currentTime);
		}

		@Override
		public long expireAfterRead(String key, StoredImage image, long currentTime, long currentDuration) {
			return currentDuration;
		}

	}

	/** @return the weighed bytes held now */
	long weightedSize() {
		if (this.cache == null) {
			return 0;
		}
		this.cache.cleanUp();
		return this.cache.policy().eviction().map((eviction) -> eviction.weightedSize().orElse(0)).orElse(0L);
	}

}

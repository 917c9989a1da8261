package dev.imagegen.api.cache;

import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;
import org.springframework.util.unit.DataSize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The budget kept images share below the direct memory Netty needs: holders that promise to keep an image come
 * first, the cache gives way.
 */
class ImageMemoryTests {

	private static StoredImage image(int bytes) {
		return new StoredImage(new byte[bytes], MediaType.IMAGE_PNG, 1, 0);
	}

	@Test
	void theBudgetLeavesNettyAFifthOfDirectMemoryAndNeverLessThan64Mb() {
		assertThat(ImageMemory.budgetFor(DataSize.ofMegabytes(320).toBytes())).isEqualTo(DataSize.ofMegabytes(256).toBytes());
		assertThat(ImageMemory.budgetFor(DataSize.ofMegabytes(100).toBytes())).isEqualTo(DataSize.ofMegabytes(36).toBytes());
		assertThat(ImageMemory.budgetFor(DataSize.ofMegabytes(50).toBytes())).isZero();
	}

	@Test
	void anImageIsRefusedWhenTheOtherHoldersFillTheBudgetAndKeptWhenItFits() {
		ImageMemory memory = new ImageMemory(1000);
		AtomicLong urls = new AtomicLong(600);
		memory.register(urls::get);

		assertThatExceptionOfType(ImageMemory.NoImageMemory.class).isThrownBy(() -> memory.keep(image(401)));
		StoredImage kept = memory.keep(image(400));
		assertThat(kept.isOffHeap()).isTrue();
		assertThat(kept.size()).isEqualTo(400);

		urls.set(0);
		assertThat(memory.keep(image(1000)).isOffHeap()).isTrue();
	}

	@Test
	void anImageAlreadyOffHeapIsSharedEvenWhenTheBudgetIsTaken() {
		ImageMemory memory = new ImageMemory(1000);
		memory.register(() -> 1000);
		StoredImage cached = image(500).offHeap();

		assertThat(memory.keep(cached).sharesBytesWith(cached)).isTrue();
		assertThatExceptionOfType(ImageMemory.NoImageMemory.class).isThrownBy(() -> memory.keep(image(1)));
	}

	@Test
	void aFreshImageOffHeapThatNoHolderKeepsTakesRoomInTheBudget() {
		ImageMemory memory = new ImageMemory(1000);
		memory.register(() -> 1000);
		// A worker's answer is read off-heap; with the cache off (or full), nobody counts it yet.
		StoredImage fresh = StoredImage.taking(StoredImage.directBuffer(10).writerIndex(10), MediaType.IMAGE_PNG, 1, 0);

		assertThatExceptionOfType(ImageMemory.NoImageMemory.class).isThrownBy(() -> memory.keep(fresh));
		StoredImage kept = new ImageMemory(1000).keep(fresh);
		assertThat(kept.sharesBytesWith(fresh)).isTrue();
	}

	@Test
	void theCacheShrinksToMakeRoomForAnImageThatMustBeKept() {
		ImageMemory memory = new ImageMemory(1000);
		AtomicLong jobs = new AtomicLong(300);
		memory.register(jobs::get);
		AtomicLong cached = new AtomicLong(700);
		AtomicLong shrunkTo = new AtomicLong(-1);
		memory.registerCache(new ImageMemory.Yielding() {
			@Override
			public long heldBytes() {
				return cached.get();
			}

			@Override
			public void shrinkTo(long bytes) {
				shrunkTo.set(bytes);
				cached.set(Math.min(cached.get(), bytes));
			}
		});
		assertThat(memory.held()).isEqualTo(1000);
		assertThat(memory.roomForCache()).isEqualTo(700);

		memory.keep(image(200));
		assertThat(shrunkTo).hasValue(500);
		assertThat(memory.held()).isEqualTo(800);

		// Room enough: the cache is left alone.
		shrunkTo.set(-1);
		memory.keep(image(100));
		assertThat(shrunkTo).hasValue(-1);
	}

}

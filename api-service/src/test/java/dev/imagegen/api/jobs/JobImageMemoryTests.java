package dev.imagegen.api.jobs;

import java.time.Clock;
import java.time.Duration;

import com.github.benmanes.caffeine.cache.Ticker;
import org.junit.jupiter.api.Test;

import dev.imagegen.api.cache.DirectMemory;
import dev.imagegen.api.cache.ImageMemory;
import dev.imagegen.api.cache.StoredImage;
import dev.imagegen.api.generate.GenerateRequest;
import dev.imagegen.api.generate.ImageFormat;
import dev.imagegen.api.generate.ImageGenerator;
import dev.imagegen.api.generate.Shape;
import dev.imagegen.api.problem.ApiProblem;
import org.springframework.http.MediaType;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * A succeeded job keeps its image for its retention, up to {@code MAX_JOBS} of them: off the 128 MB heap, and
 * within the direct memory budget all kept images share, so that Netty keeps the rest.
 */
class JobImageMemoryTests {

	private final ImageMemory unbounded = new ImageMemory(Long.MAX_VALUE);

	private static ImageGenerator.Generated generated(StoredImage image) {
		GenerateRequest request = new GenerateRequest("a fox", "", 3, 7.0, Shape.SQUARE, ImageFormat.PNG);
		return new ImageGenerator.Generated(request, image, request.fingerprint(), false, Duration.ZERO);
	}

	private static ImageGenerator.Generated generated(int bytes) {
		return generated(new StoredImage(new byte[bytes], MediaType.IMAGE_PNG, 3, 0));
	}

	private static LocalJobStore store(ImageMemory memory) {
		return new LocalJobStore(new JobsProperties(Duration.ofHours(1), 100, 32, Duration.ofSeconds(10),
				Duration.ofSeconds(15), Duration.ofSeconds(5)), Ticker.systemTicker(), memory);
	}

	private static Job succeeded(LocalJobStore store, ImageGenerator.Generated image) {
		Job job = new Job(JobService.newId(), image.request(), null, Clock.systemUTC());
		store.add(job).block();
		assertThat(job.succeed(image)).isTrue();
		store.ended(job);
		return job;
	}

	@Test
	void aJobKeepsItsImageOffTheHeapWithEverythingElseAsGenerated() {
		byte[] bytes = { 1, 2, 3, 4 };
		ImageGenerator.Generated generated = generated(new StoredImage(bytes, MediaType.IMAGE_PNG, 3, 0));
		ImageGenerator.Generated kept = JobService.keptOffHeap(generated, this.unbounded);
		assertThat(kept.image().isOffHeap()).isTrue();
		assertThat(kept.image().bytes()).isEqualTo(bytes);
		assertThat(kept.image().seed()).isEqualTo(3);
		assertThat(kept.request()).isEqualTo(generated.request());
		assertThat(kept.fingerprint()).isEqualTo(generated.fingerprint());
	}

	@Test
	void anImageTheCacheHoldsIsNotCopiedAgain() {
		StoredImage cached = new StoredImage(new byte[] { 9 }, MediaType.IMAGE_PNG, 3, 0).offHeap();
		assertThat(JobService.keptOffHeap(generated(cached), this.unbounded).image().sharesBytesWith(cached)).isTrue();
	}

	@Test
	void retainedJobsCountTheirImagesUntilTheyLeaveTheStore() {
		ImageMemory memory = new ImageMemory(Long.MAX_VALUE);
		LocalJobStore store = store(memory);
		Job first = succeeded(store, JobService.keptOffHeap(generated(1000), memory));
		succeeded(store, JobService.keptOffHeap(generated(500), memory));
		// Ending a job twice (a cancel racing its end) counts its image once.
		store.ended(first);
		assertThat(store.keptBytes()).isEqualTo(1500);

		store.remove(first).block();
		assertThat(store.keptBytes()).isEqualTo(500);
	}

	@Test
	void aRemovedJobsImageIsFreedOnceItsLastReaderIsDone() {
		int size = 4 * 1024 * 1024;
		ImageMemory memory = new ImageMemory(Long.MAX_VALUE);
		LocalJobStore store = store(memory);
		Job job = succeeded(store, JobService.keptOffHeap(generated(size), memory));
		ImageGenerator.Generated reading = store.image(job.view()).block();
		assertThat(reading).isNotNull();

		store.remove(job).block();
		// A reader that took the image before the job left still reads it; the bytes go with its release.
		assertThat(reading.image().bytes()).hasSize(size);
		assertThat(DirectMemory.freedBy(reading.image()::release)).isGreaterThanOrEqualTo(size);
		assertThat(store.image(job.view()).block()).isNull();
	}

	@Test
	void aJobWhoseImageFindsTheBudgetTakenByRetainedJobsFailsWithATyped503() {
		ImageMemory memory = new ImageMemory(2500);
		LocalJobStore store = store(memory);
		succeeded(store, JobService.keptOffHeap(generated(1000), memory));
		succeeded(store, JobService.keptOffHeap(generated(1000), memory));

		assertThatExceptionOfType(ApiProblem.class)
			.isThrownBy(() -> JobService.keptOffHeap(generated(1000), memory))
			.satisfies((problem) -> {
				assertThat(problem.status()).isEqualTo(503);
				assertThat(problem.retryAfter()).isEqualTo(Duration.ofSeconds(30));
			});
		// A smaller one still fits what is left.
		assertThat(JobService.keptOffHeap(generated(400), memory).image().isOffHeap()).isTrue();
	}

}

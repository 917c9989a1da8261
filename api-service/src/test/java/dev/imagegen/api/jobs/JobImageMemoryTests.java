package dev.imagegen.api.jobs;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import dev.imagegen.api.cache.StoredImage;
import dev.imagegen.api.generate.GenerateRequest;
import dev.imagegen.api.generate.ImageFormat;
import dev.imagegen.api.generate.ImageGenerator;
import dev.imagegen.api.generate.Shape;
import org.springframework.http.MediaType;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A succeeded job keeps its image for its retention, up to {@code MAX_JOBS} of them: off the 128 MB heap.
 */
class JobImageMemoryTests {

	private static ImageGenerator.Generated generated(StoredImage image) {
		GenerateRequest request = new GenerateRequest("a fox", "", 3, 7.0, Shape.SQUARE, ImageFormat.PNG);
		return new ImageGenerator.Generated(request, image, request.fingerprint(), false, Duration.ZERO);
	}

	@Test
	void aJobKeepsItsImageOffTheHeapWithEverythingElseAsGenerated() {
		byte[] bytes = { 1, 2, 3, 4 };
		ImageGenerator.Generated generated = generated(new StoredImage(bytes, MediaType.IMAGE_PNG, 3, 0));
		ImageGenerator.Generated kept = JobService.keptOffHeap(generated);
		assertThat(kept.image().isOffHeap()).isTrue();
		assertThat(kept.image().bytes()).isEqualTo(bytes);
		assertThat(kept.image().seed()).isEqualTo(3);
		assertThat(kept.request()).isEqualTo(generated.request());
		assertThat(kept.fingerprint()).isEqualTo(generated.fingerprint());
	}

	@Test
	void anImageTheCacheHoldsIsNotCopiedAgain() {
		StoredImage cached = new StoredImage(new byte[] { 9 }, MediaType.IMAGE_PNG, 3, 0).offHeap();
		assertThat(JobService.keptOffHeap(generated(cached)).image()).isSameAs(cached);
	}

}

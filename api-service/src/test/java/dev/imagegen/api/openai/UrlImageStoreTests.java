package dev.imagegen.api.openai;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import dev.imagegen.api.cache.ImageMemory;
import dev.imagegen.api.cache.StoredImage;
import dev.imagegen.api.generate.GenerateRequest;
import dev.imagegen.api.generate.ImageFormat;
import dev.imagegen.api.generate.ImageGenerator;
import dev.imagegen.api.generate.Shape;
import org.springframework.http.MediaType;
import org.springframework.util.unit.DataSize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The store behind image URLs: unguessable names, the hour, the byte bound, and the meters that show it.
 */
class UrlImageStoreTests {

	private final AtomicLong now = new AtomicLong();

	private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

	private final UrlImageStore store = new UrlImageStore(new OpenAiProperties(DataSize.ofMegabytes(1)), this.now::get,
			this.meters, new ImageMemory(Long.MAX_VALUE));

	private static ImageGenerator.Generated image(int bytes) {
		GenerateRequest request = new GenerateRequest("a fox", "", 1, 7.0, Shape.SQUARE, ImageFormat.PNG);
		return new ImageGenerator.Generated(request, new StoredImage(new byte[bytes], MediaType.IMAGE_PNG, 1, 0),
				request.fingerprint(), false, Duration.ZERO);
	}

	@Test
	void namesAreRandomAndUrlSafeAndNothingElseIsFound() {
		List<String> names = new ArrayList<>();
		for (int i = 0; i < 50; i++) {
			names.add(this.store.put(image(10)));
		}
		assertThat(new HashSet<>(names)).hasSize(50);
		assertThat(names).allMatch((name) -> name.matches("[A-Za-z0-9_-]{22}"));
		assertThat(this.store.get(names.get(0))).isPresent();
		assertThat(this.store.get("AAAAAAAAAAAAAAAAAAAAAA")).isEmpty();
		assertThat(this.store.get("../../etc/passwd")).isEmpty();
		assertThat(this.meters.get("imagegen.openai.images.bytes").gauge().value()).isEqualTo(50 * (10 + 256));
	}

	@Test
	void keptImagesLiveOffTheHeap() {
		// The store (256 MB by default) is larger than the API's heap (128 MB), as the image cache is.
		ImageGenerator.Generated generated = image(10);
		String name = this.store.put(generated);
		StoredImage kept = this.store.get(name).orElseThrow().image();
		assertThat(generated.image().isOffHeap()).isFalse();
		assertThat(kept.isOffHeap()).isTrue();
		assertThat(kept.bytes()).isEqualTo(new byte[10]);
		StoredImage cached = generated.image().offHeap();
		String again = this.store.put(new ImageGenerator.Generated(generated.request(), cached,
				generated.fingerprint(), true, Duration.ZERO));
		assertThat(this.store.get(again).orElseThrow().image().sharesBytesWith(cached)).isTrue();
	}

	@Test
	void anImageLivesOneHour() {
		String name = this.store.put(image(10));
		this.now.set(Duration.ofMinutes(59).toNanos());
		assertThat(this.store.get(name)).isPresent();
		this.now.set(Duration.ofMinutes(60).plusNanos(1).toNanos());
		assertThat(this.store.get(name)).isEmpty();
	}

	@Test
	void imagesPushedOutByTheBoundAreCounted() {
		for (int i = 0; i < 4; i++) {
			this.store.put(image(400_000));
		}
		await().atMost(Duration.ofSeconds(10))
			.untilAsserted(() -> assertThat(this.meters.get("imagegen.openai.images.evicted").counter().count())
				.isGreaterThanOrEqualTo(2));
		assertThat(this.meters.get("imagegen.openai.images.bytes").gauge().value())
			.isLessThanOrEqualTo(DataSize.ofMegabytes(1).toBytes());
	}

}

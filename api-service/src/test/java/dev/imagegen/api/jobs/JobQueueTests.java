package dev.imagegen.api.jobs;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.reactivestreams.Subscription;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

import dev.imagegen.api.cache.StoredImage;
import dev.imagegen.api.generate.GenerateRequest;
import dev.imagegen.api.generate.ImageFormat;
import dev.imagegen.api.generate.Shape;
import org.springframework.http.MediaType;

import static org.assertj.core.api.Assertions.assertThat;

/** The API's own queue in front of the workers: a slot taken is always given back. */
class JobQueueTests {

	private static Job job() {
		GenerateRequest request = new GenerateRequest("a fox", "", 3, 7.0, Shape.SQUARE, ImageFormat.PNG);
		return new Job(JobService.newId(), request, null, Clock.systemUTC());
	}

	private static Mono<StoredImage> image() {
		return Mono.just(new StoredImage(new byte[] { 1 }, MediaType.IMAGE_PNG, 3, 0));
	}

	@Test
	void aJobCancelledWhileItSubscribesLeavesItsSlotFree() {
		JobQueue queue = new JobQueue(1);
		AtomicInteger calls = new AtomicInteger();
		// Cancelled in onSubscribe: before Mono.create's callback takes the slot.
		queue.run(job(), () -> {
			calls.incrementAndGet();
			return image();
		}).subscribe(new BaseSubscriber<StoredImage>() {
			@Override
			protected void hookOnSubscribe(Subscription subscription) {
				cancel();
			}
		});
		assertThat(calls).hasValue(0);
		StoredImage next = queue.run(job(), () -> {
			calls.incrementAndGet();
			return image();
		}).block(Duration.ofSeconds(5));
		assertThat(next).isNotNull();
		assertThat(calls).hasValue(1);
		assertThat(queue.waiting()).isZero();
	}

	@Test
	void theNextJobStartsWhenTheRunningOneEnds() {
		JobQueue queue = new JobQueue(1);
		Sinks.One<StoredImage> first = Sinks.one();
		AtomicInteger secondCalls = new AtomicInteger();
		queue.run(job(), first::asMono).subscribe();
		Mono<StoredImage> second = queue.run(job(), () -> {
			secondCalls.incrementAndGet();
			return image();
		}).cache();
		second.subscribe();
		assertThat(secondCalls).hasValue(0);
		assertThat(queue.waiting()).isEqualTo(1);
		first.tryEmitValue(image().block());
		assertThat(second.block(Duration.ofSeconds(5))).isNotNull();
		assertThat(secondCalls).hasValue(1);
		assertThat(queue.waiting()).isZero();
	}

}

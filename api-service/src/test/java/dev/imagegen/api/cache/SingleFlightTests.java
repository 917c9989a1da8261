package dev.imagegen.api.cache;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

import org.springframework.http.MediaType;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Sharing one run between callers, without Spring: one start, one outcome for all, a leaving caller cancels
 * nothing, nothing is remembered after the run, and an off-heap image is freed once every caller is done with it,
 * never before.
 */
class SingleFlightTests {

	private static final int LARGE = 8 * 1024 * 1024;

	private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

	private final SingleFlight flights = new SingleFlight(this.meters);

	@Test
	void callersShareOneRunAndItsValue() {
		AtomicInteger starts = new AtomicInteger();
		Sinks.One<StoredImage> result = Sinks.one();
		Mono<StoredImage> first = this.flights.share("k", () -> {
			starts.incrementAndGet();
			return result.asMono();
		});
		StoredImage[] seen = new StoredImage[3];
		first.subscribe((value) -> seen[0] = value);
		this.flights.share("k", () -> Mono.just(heap(2))).subscribe((value) -> seen[1] = value);
		this.flights.join("k").orElseThrow().subscribe((value) -> seen[2] = value);
		StoredImage image = heap(1);
		result.tryEmitValue(image);

		assertThat(starts).hasValue(1);
		assertThat(seen).containsExactly(image, image, image);
		assertThat(this.meters.counter("imagegen.singleflight.joins").count()).isEqualTo(2);
		assertThat(this.flights.inFlight()).isZero();
		assertThat(this.flights.join("k")).isEmpty();
	}

	@Test
	void aFailureReachesEveryCallerAndIsNotRemembered() {
		Sinks.One<StoredImage> result = Sinks.one();
		Throwable[] seen = new Throwable[2];
		this.flights.share("k", result::asMono).subscribe((v) -> { }, (e) -> seen[0] = e);
		this.flights.share("k", result::asMono).subscribe((v) -> { }, (e) -> seen[1] = e);
		IllegalStateException failure = new IllegalStateException("upstream");
		result.tryEmitError(failure);

		assertThat(seen).containsOnly(failure);
		StoredImage retry = heap(3);
		assertThat(this.flights.share("k", () -> Mono.just(retry)).block(Duration.ofSeconds(1))).isSameAs(retry);
	}

	@Test
	void aCallerThatLeavesDoesNotCancelTheRunTheOthersWaitFor() {
		AtomicInteger cancelled = new AtomicInteger();
		Sinks.One<StoredImage> result = Sinks.one();
		Disposable leaving = this.flights.share("k", () -> result.asMono().doOnCancel(cancelled::incrementAndGet))
			.subscribe();
		StoredImage[] seen = new StoredImage[1];
		this.flights.share("k", () -> Mono.just(heap(2))).subscribe((value) -> seen[0] = value);
		leaving.dispose();
		StoredImage image = heap(1);
		result.tryEmitValue(image);

		assertThat(cancelled).hasValue(0);
		assertThat(seen[0]).isSameAs(image);
	}

	@Test
	void aWorkThatThrowsFailsItsCallersInsteadOfBlockingTheKey() {
		Mono<StoredImage> broken = this.flights.share("k", () -> {
			throw new IllegalStateException("boom");
		});
		StoredImage fallback = heap(0);
		assertThat(broken.onErrorReturn(fallback).block(Duration.ofSeconds(1))).isSameAs(fallback);
		assertThat(this.flights.inFlight()).isZero();
	}

	@Test
	void everyCallerGetsAReferenceOfItsOwnAndTheRunsIsReleasedWhenAllHaveTheirs() {
		Sinks.One<StoredImage> result = Sinks.one();
		StoredImage[] seen = new StoredImage[2];
		this.flights.share("k", result::asMono).subscribe((value) -> seen[0] = value);
		this.flights.join("k").orElseThrow().subscribe((value) -> seen[1] = value);
		StoredImage run = offHeap(7);
		result.tryEmitValue(run);

		assertThat(seen[0]).isNotSameAs(run).isNotSameAs(seen[1]);
		assertThat(seen[0].sharesBytesWith(run)).isTrue();
		assertThat(seen[1].sharesBytesWith(run)).isTrue();
		// The run's own reference was released: the first caller's answer leaves the second's bytes alone...
		seen[0].release();
		assertThat(seen[1].bytes()).hasSize(LARGE);
		// ...and the last one's frees them.
		assertThat(DirectMemory.freedBy(seen[1]::release)).isGreaterThanOrEqualTo(LARGE);
	}

	@Test
	void aJoinerThatSubscribesAfterTheRunEndedStillGetsTheBytes() {
		Sinks.One<StoredImage> result = Sinks.one();
		StoredImage[] seen = new StoredImage[2];
		this.flights.share("k", result::asMono).subscribe((value) -> seen[0] = value);
		// Joined while the run is in flight, subscribed only after it ended and the first caller was answered.
		Mono<StoredImage> late = this.flights.join("k").orElseThrow();
		result.tryEmitValue(offHeap(9));
		seen[0].release();
		late.subscribe((value) -> seen[1] = value);

		assertThat(seen[1]).isNotNull();
		assertThat(seen[1].bytes()).hasSize(LARGE);
		assertThat(DirectMemory.freedBy(seen[1]::release)).isGreaterThanOrEqualTo(LARGE);
	}

	@Test
	void whenEveryCallerLeftTheRunsImageIsFreedAsItArrives() {
		Sinks.One<StoredImage> result = Sinks.one();
		Disposable first = this.flights.share("k", result::asMono).subscribe();
		Disposable second = this.flights.join("k").orElseThrow().subscribe();
		first.dispose();
		second.dispose();
		StoredImage run = offHeap(5);

		assertThat(DirectMemory.freedBy(() -> result.tryEmitValue(run))).isGreaterThanOrEqualTo(LARGE);
		assertThat(run.share()).isNull();
	}

	private static StoredImage heap(long seed) {
		return new StoredImage(new byte[] { 1, 2, 3 }, MediaType.IMAGE_PNG, seed, 0);
	}

	/** A large image off-heap, as a worker's answer is read, so that freeing it shows in the JDK's count. */
	private static StoredImage offHeap(long seed) {
		return StoredImage.taking(StoredImage.directBuffer(LARGE).writerIndex(LARGE), MediaType.IMAGE_PNG, seed, 0);
	}

}

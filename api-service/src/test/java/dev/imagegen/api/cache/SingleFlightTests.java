package dev.imagegen.api.cache;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Sharing one run between callers, without Spring: one start, one outcome for all, a leaving caller cancels
 * nothing, and nothing is remembered after the run.
 */
class SingleFlightTests {

	private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

	private final SingleFlight flights = new SingleFlight(this.meters);

	@Test
	void callersShareOneRunAndItsValue() {
		AtomicInteger starts = new AtomicInteger();
		Sinks.One<String> result = Sinks.one();
		Mono<String> first = this.flights.share("k", () -> {
			starts.incrementAndGet();
			return result.asMono();
		});
		String[] seen = new String[3];
		first.subscribe((value) -> seen[0] = value);
		this.flights.share("k", () -> Mono.just("second run")).subscribe((value) -> seen[1] = value);
		this.flights.<String>join("k").orElseThrow().subscribe((value) -> seen[2] = value);
		result.tryEmitValue("image");

		assertThat(starts).hasValue(1);
		assertThat(seen).containsExactly("image", "image", "image");
		assertThat(this.meters.counter("imagegen.singleflight.joins").count()).isEqualTo(2);
		assertThat(this.flights.inFlight()).isZero();
		assertThat(this.flights.join("k")).isEmpty();
	}

	@Test
	void aFailureReachesEveryCallerAndIsNotRemembered() {
		Sinks.One<String> result = Sinks.one();
		Throwable[] seen = new Throwable[2];
		this.flights.share("k", result::asMono).subscribe((v) -> { }, (e) -> seen[0] = e);
		this.flights.share("k", result::asMono).subscribe((v) -> { }, (e) -> seen[1] = e);
		IllegalStateException failure = new IllegalStateException("upstream");
		result.tryEmitError(failure);

		assertThat(seen).containsOnly(failure);
		assertThat(this.flights.share("k", () -> Mono.just("retry")).block(Duration.ofSeconds(1))).isEqualTo("retry");
	}

	@Test
	void aCallerThatLeavesDoesNotCancelTheRunTheOthersWaitFor() {
		AtomicInteger cancelled = new AtomicInteger();
		Sinks.One<String> result = Sinks.one();
		Disposable leaving = this.flights.share("k", () -> result.asMono().doOnCancel(cancelled::incrementAndGet))
			.subscribe();
		String[] seen = new String[1];
		this.flights.share("k", () -> Mono.just("never")).subscribe((value) -> seen[0] = value);
		leaving.dispose();
		result.tryEmitValue("image");

		assertThat(cancelled).hasValue(0);
		assertThat(seen[0]).isEqualTo("image");
	}

	@Test
	void aWorkThatThrowsFailsItsCallersInsteadOfBlockingTheKey() {
		Mono<String> broken = this.flights.share("k", () -> {
			throw new IllegalStateException("boom");
		});
		assertThat(broken.onErrorReturn("failed").block(Duration.ofSeconds(1))).isEqualTo("failed");
		assertThat(this.flights.inFlight()).isZero();
	}

}

package dev.imagegen.worker.browser;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The queue-full Retry-After tracks recent generations, not a stale average.
 */
class WaitEstimatorTests {

	private final AtomicLong now = new AtomicLong();

	private final WaitEstimator estimator = new WaitEstimator(Duration.ofSeconds(8), Duration.ofSeconds(120),
			this.now::get);

	@Test
	void withoutSamplesTheInitialGuessIsUsed() {
		assertThat(this.estimator.estimate(0, 1)).isEqualTo(Duration.ofSeconds(8));
	}

	@Test
	void fastGenerationsGiveAShortWaitAtOnce() {
		// Capacity 1 and 0.6 s generations: the old average said 16 s.
		for (int i = 0; i < 3; i++) {
			this.estimator.record(Duration.ofMillis(600));
		}

		assertThat(this.estimator.estimate(1, 1)).isEqualTo(Duration.ofMillis(1200));
	}

	@Test
	void aSlowPeriodAfterAFastOneShowsOnceTheWindowHoldsIt() {
		for (int i = 0; i < 100; i++) {
			this.estimator.record(Duration.ofMillis(500));
		}
		for (int i = 0; i < WaitEstimator.WINDOW; i++) {
			this.estimator.record(Duration.ofSeconds(5));
		}

		// 16 jobs ahead, one session: about 85 s, not the 3 s a stale average gave.
		assertThat(this.estimator.estimate(16, 1)).isEqualTo(Duration.ofSeconds(85));
	}

	@Test
	void jobsAreSharedBySessionsAndTheEstimateIsBounded() {
		this.estimator.record(Duration.ofSeconds(10));

		assertThat(this.estimator.estimate(3, 2)).isEqualTo(Duration.ofSeconds(20));
		assertThat(this.estimator.estimate(1000, 1)).isEqualTo(Duration.ofSeconds(120));
		this.estimator.record(Duration.ZERO);
		this.estimator.record(Duration.ZERO);
		this.estimator.record(Duration.ZERO);
		assertThat(this.estimator.estimate(0, 4)).isEqualTo(Duration.ofSeconds(1));
	}

	@Test
	void oldSamplesAgeOut() {
		this.estimator.record(Duration.ofSeconds(60));
		this.now.addAndGet(WaitEstimator.MAX_AGE.plusSeconds(1).toNanos());
		this.estimator.record(Duration.ofSeconds(2));

		assertThat(this.estimator.estimate(0, 1)).isEqualTo(Duration.ofSeconds(2));
	}

}

package dev.imagegen.api.clients;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import io.github.bucket4j.TimeMeter;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Token buckets and concurrency slots against a clock moved by hand: exact waits, no sleeps.
 */
class LocalClientLimiterTests {

	private final AtomicLong now = new AtomicLong();

	private final TimeMeter clock = new TimeMeter() {
		@Override
		public long currentTimeNanos() {
			return LocalClientLimiterTests.this.now.get();
		}

		@Override
		public boolean isWallClockBased() {
			return false;
		}
	};

	private final LocalClientLimiter limiter = new LocalClientLimiter(
			new ClientsProperties("", false, "", 10, 2, 60, 4, 5, null, Duration.ofSeconds(3)), this.clock);

	private final ClientIdentity anonymous = new ClientIdentity("anonymous", "anonymous", "ip:203.0.113.5", 10, 2);

	private void advance(Duration duration) {
		this.now.addAndGet(duration.toNanos());
	}

	@Test
	void tenGenerationsPerMinuteThenAnExactWait() {
		for (int i = 0; i < 10; i++) {
			ClientLimiter.Decision decision = this.limiter.startGeneration(this.anonymous);
			assertThat(decision.admitted()).as("generation %d", i + 1).isTrue();
			decision.release();
		}
		ClientLimiter.Decision refused = this.limiter.startGeneration(this.anonymous);
		assertThat(refused.admitted()).isFalse();
		assertThat(refused.reason()).isEqualTo("generation-rate");
		// Greedy refill: one token every 60 s / 10.
		assertThat(refused.retryAfter()).isEqualTo(Duration.ofSeconds(6));
		assertThat(this.limiter.inFlight(this.anonymous)).isZero();

		advance(Duration.ofSeconds(4));
		assertThat(this.limiter.startGeneration(this.anonymous).retryAfter()).isEqualTo(Duration.ofSeconds(2));
		advance(Duration.ofSeconds(2));
		assertThat(this.limiter.startGeneration(this.anonymous).admitted()).isTrue();
	}

	@Test
	void theConcurrencyCapRefusesWithoutSpendingATokenAndReleasesOnce() {
		ClientLimiter.Decision first = this.limiter.startGeneration(this.anonymous);
		ClientLimiter.Decision second = this.limiter.startGeneration(this.anonymous);
		ClientLimiter.Decision third = this.limiter.startGeneration(this.anonymous);
		assertThat(first.admitted()).isTrue();
		assertThat(second.admitted()).isTrue();
		assertThat(third.admitted()).isFalse();
		assertThat(third.reason()).isEqualTo("concurrency");
		assertThat(third.retryAfter()).isEqualTo(Duration.ofSeconds(3));
		assertThat(this.limiter.quotasNow(this.anonymous).generationsRemaining()).isEqualTo(8);

		first.release();
		first.release();
		assertThat(this.limiter.inFlight(this.anonymous)).isEqualTo(1);
		assertThat(this.limiter.startGeneration(this.anonymous).admitted()).isTrue();
		assertThat(this.limiter.startGeneration(this.anonymous).admitted()).isFalse();
	}

	@Test
	void clientsAreCountedApart() {
		ClientIdentity other = new ClientIdentity("anonymous", "anonymous", "ip:203.0.113.6", 10, 2);
		for (int i = 0; i < 10; i++) {
			this.limiter.startGeneration(this.anonymous).release();
		}
		assertThat(this.limiter.startGeneration(this.anonymous).admitted()).isFalse();
		assertThat(this.limiter.startGeneration(other).admitted()).isTrue();
	}

	@Test
	void requestRateAndQuotasForHeaders() {
		for (int i = 0; i < 5; i++) {
			assertThat(this.limiter.request(this.anonymous).admitted()).isTrue();
		}
		ClientLimiter.Decision refused = this.limiter.request(this.anonymous);
		assertThat(refused.reason()).isEqualTo("request-rate");
		assertThat(refused.retryAfter()).isEqualTo(Duration.ofSeconds(12));

		ClientLimiter.Quotas quotas = this.limiter.quotasNow(this.anonymous);
		assertThat(quotas.requestsLimit()).isEqualTo(5);
		assertThat(quotas.requestsRemaining()).isZero();
		assertThat(quotas.requestsReset()).isEqualTo(60);
		assertThat(quotas.generationsRemaining()).isEqualTo(10);
		assertThat(quotas.generationsReset()).isZero();
		assertThat(quotas.windowSeconds()).isEqualTo(60);
	}

}

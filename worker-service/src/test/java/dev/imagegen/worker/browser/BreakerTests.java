package dev.imagegen.worker.browser;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The breaker's window follows the signal: upstream Retry-After, else a short first window doubling on
 * repeats up to the maximum, reset by a success.
 */
class BreakerTests {

	private final AtomicLong now = new AtomicLong();

	private final Breaker breaker = new Breaker(Duration.ofSeconds(30), Duration.ofMinutes(5), this.now::get);

	@Test
	void aFirstSignalOpensForTheShortWindowAndRepeatsDoubleUpToTheMaximum() {
		assertThat(this.breaker.open(Breaker.Reason.RATE_LIMITED, null)).isEqualTo(Duration.ofSeconds(30));
		assertThat(this.breaker.open(Breaker.Reason.RATE_LIMITED, null)).isEqualTo(Duration.ofSeconds(60));
		assertThat(this.breaker.open(Breaker.Reason.CHALLENGE, null)).isEqualTo(Duration.ofSeconds(120));
		assertThat(this.breaker.open(Breaker.Reason.RATE_LIMITED, null)).isEqualTo(Duration.ofSeconds(240));
		assertThat(this.breaker.open(Breaker.Reason.RATE_LIMITED, null)).isEqualTo(Duration.ofMinutes(5));
		assertThat(this.breaker.open(Breaker.Reason.RATE_LIMITED, null)).isEqualTo(Duration.ofMinutes(5));
	}

	@Test
	void aSuccessResetsTheEscalation() {
		this.breaker.open(Breaker.Reason.RATE_LIMITED, null);
		this.breaker.open(Breaker.Reason.RATE_LIMITED, null);
		this.breaker.onSuccess();

		assertThat(this.breaker.state()).isEqualTo("closed");
		assertThat(this.breaker.open(Breaker.Reason.RATE_LIMITED, null)).isEqualTo(Duration.ofSeconds(30));
	}

	@Test
	void theUpstreamRetryAfterIsUsedAndCapped() {
		assertThat(this.breaker.open(Breaker.Reason.RATE_LIMITED, Duration.ofSeconds(7))).isEqualTo(Duration.ofSeconds(7));
		assertThat(this.breaker.open(Breaker.Reason.RATE_LIMITED, Duration.ofHours(2))).isEqualTo(Duration.ofMinutes(5));
		assertThat(this.breaker.open(Breaker.Reason.RATE_LIMITED, Duration.ZERO)).isEqualTo(Duration.ofSeconds(120));
	}

	@Test
	void itIsOpenForItsWindowThenHalfOpen() {
		this.breaker.open(Breaker.Reason.CHALLENGE, null);

		assertThat(this.breaker.isOpen()).isTrue();
		assertThat(this.breaker.reason()).isEqualTo(Breaker.Reason.CHALLENGE);
		assertThat(this.breaker.remaining()).isEqualTo(Duration.ofSeconds(30));
		this.now.addAndGet(Duration.ofSeconds(29).toNanos());
		assertThat(this.breaker.state()).isEqualTo("open");
		this.now.addAndGet(Duration.ofSeconds(1).toNanos());
		assertThat(this.breaker.isOpen()).isFalse();
		assertThat(this.breaker.state()).isEqualTo("half-open");
	}

	@Test
	void aFirstWindowAboveTheMaximumIsCapped() {
		Breaker small = new Breaker(Duration.ofSeconds(30), Duration.ofMillis(1500), this.now::get);

		assertThat(small.open(Breaker.Reason.RATE_LIMITED, null)).isEqualTo(Duration.ofMillis(1500));
	}

	@Test
	void retryAfterIsReadInSecondsOrAsAnHttpDate() {
		assertThat(new UpstreamResponse(429, null, "", null, null, "12").retryAfterDuration())
			.isEqualTo(Duration.ofSeconds(12));
		assertThat(new UpstreamResponse(429, null, "", null, null, "soon").retryAfterDuration()).isNull();
		assertThat(new UpstreamResponse(429, null, "", null, null, null).retryAfterDuration()).isNull();
		String inAMinute = java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME
			.format(java.time.ZonedDateTime.now(java.time.ZoneOffset.UTC).plusSeconds(60));
		assertThat(new UpstreamResponse(429, null, "", null, null, inAMinute).retryAfterDuration())
			.isBetween(Duration.ofSeconds(50), Duration.ofSeconds(61));
	}

}

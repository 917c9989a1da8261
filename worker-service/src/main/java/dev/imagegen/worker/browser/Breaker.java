package dev.imagegen.worker.browser;

import java.time.Duration;

/**
 * A session's circuit breaker: opened by a rate limit or a bot challenge, it makes the session refuse work
 * for a while; after that the next job is a trial (half-open) whose success closes it again.
 */
final class Breaker {

	/** Why the breaker opened. */
	enum Reason {

		/** {@code too_many_requests} or HTTP 429. */
		RATE_LIMITED,
		/** A Cloudflare challenge page. */
		CHALLENGE

	}

	private Reason reason;

	private long openUntilNanos;

	private boolean tripped;

	synchronized void open(Reason why, Duration duration) {
		this.reason = why;
		this.openUntilNanos = System.nanoTime() + duration.toNanos();
		this.tripped = true;
	}

	synchronized void onSuccess() {
		this.tripped = false;
		this.reason = null;
	}

	/** Time left while open, else zero. */
	synchronized Duration remaining() {
		if (!this.tripped) {
			return Duration.ZERO;
		}
		long left = this.openUntilNanos - System.nanoTime();
		return (left > 0) ? Duration.ofNanos(left) : Duration.ZERO;
	}

	synchronized boolean isOpen() {
		return !remaining().isZero();
	}

	synchronized Reason reason() {
		return this.reason;
	}

	/** {@code closed}, {@code open} or {@code half-open}. */
	synchronized String state() {
		if (!this.tripped) {
			return "closed";
		}
		return isOpen() ? "open" : "half-open";
	}

}

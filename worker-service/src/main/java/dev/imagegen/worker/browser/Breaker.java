package dev.imagegen.worker.browser;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * A session's circuit breaker: opened by a rate limit or a bot challenge, it makes the session refuse work
 * for a while; after that the next job is a trial (half-open) whose success closes it again.
 * <p>
 * The open window follows the signal (docs/worker-api.md, "Circuit breaker"): the upstream's {@code Retry-After}
 * when it sent one, capped at the longest window; otherwise a short first window that doubles with every
 * repeat up to the longest. A success resets the escalation, so one stray 429 costs a one-session worker
 * seconds, not minutes, while a persistent limit still backs off properly.
 */
final class Breaker {

	/** Why the breaker opened. */
	enum Reason {

		/** {@code too_many_requests} or HTTP 429. */
		RATE_LIMITED,
		/** A Cloudflare challenge page. */
		CHALLENGE

	}

	private final Duration firstWindow;

	private final Duration maxWindow;

	private final LongSupplier clock;

	private Reason reason;

	private long openUntilNanos;

	private boolean tripped;

	// The window the next open without Retry-After gets.
	private Duration nextWindow;

	Breaker(Duration firstWindow, Duration maxWindow) {
		this(firstWindow, maxWindow, System::nanoTime);
	}

	Breaker(Duration firstWindow, Duration maxWindow, LongSupplier clock) {
		this.firstWindow = min(firstWindow, maxWindow);
		this.maxWindow = maxWindow;
		this.clock = clock;
		this.nextWindow = this.firstWindow;
	}

	/**
	 * Opens the breaker.
	 * @param why the signal
	 * @param upstreamRetryAfter the upstream's {@code Retry-After}, or null when it sent none
	 * @return how long the breaker stays open
	 */
	synchronized Duration open(Reason why, Duration upstreamRetryAfter) {
		Duration window;
		if (upstreamRetryAfter != null && !upstreamRetryAfter.isNegative() && !upstreamRetryAfter.isZero()) {
			window = min(upstreamRetryAfter, this.maxWindow);
		}
		else {
			window = this.nextWindow;
		}
		// Repeats escalate whatever the source of this window, until a success resets it.
		this.nextWindow = min(this.nextWindow.multipliedBy(2), this.maxWindow);
		this.reason = why;
		this.openUntilNanos = this.clock.getAsLong() + window.toNanos();
		this.tripped = true;
		return window;
	}

	synchronized void onSuccess() {
		this.tripped = false;
		this.reason = null;
		this.nextWindow = this.firstWindow;
	}

	/** Time left while open, else zero. */
	synchronized Duration remaining() {
		if (!this.tripped) {
			return Duration.ZERO;
		}
		long left = this.openUntilNanos - this.clock.getAsLong();
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

	private static Duration min(Duration a, Duration b) {
		return (a.compareTo(b) <= 0) ? a : b;
	}

}

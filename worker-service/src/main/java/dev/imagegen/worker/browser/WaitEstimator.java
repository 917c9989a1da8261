package dev.imagegen.worker.browser;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.LongSupplier;

/**
 * The {@code Retry-After} of {@code queue-full}: how long until a place is likely free, from a moving window
 * of recent generation durations (the last {@value #WINDOW} within {@link #MAX_AGE}) times the jobs ahead,
 * shared by the sessions that serve. A window rather than an exponential average: after a fast period a slow
 * one shows at once (and the other way round), instead of being averaged away by stale samples.
 */
final class WaitEstimator {

	static final int WINDOW = 20;

	static final Duration MAX_AGE = Duration.ofMinutes(5);

	private static final Duration FLOOR = Duration.ofSeconds(1);

	private final Duration initial;

	private final Duration ceiling;

	private final LongSupplier clock;

	// [recorded at (nanos), duration (millis)], oldest first; guarded by this.
	private final Deque<long[]> samples = new ArrayDeque<>();

	/**
	 * @param initial the guess while no generation has been timed
	 * @param ceiling the longest estimate (a job never waits longer than its deadline)
	 * @param clock nanosecond clock
	 */
	WaitEstimator(Duration initial, Duration ceiling, LongSupplier clock) {
		this.initial = initial;
		this.ceiling = ceiling;
		this.clock = clock;
	}

	synchronized void record(Duration generation) {
		this.samples.addLast(new long[] { this.clock.getAsLong(), Math.max(0, generation.toMillis()) });
		while (this.samples.size() > WINDOW) {
			this.samples.removeFirst();
		}
	}

	/**
	 * @param jobsAhead jobs waiting in the queue
	 * @param sessions sessions that can serve (at least one is assumed)
	 * @return the estimate, between one second and the ceiling
	 */
	synchronized Duration estimate(int jobsAhead, long sessions) {
		long now = this.clock.getAsLong();
		while (!this.samples.isEmpty() && now - this.samples.peekFirst()[0] > MAX_AGE.toNanos()) {
			this.samples.removeFirst();
		}
		double mean = this.samples.isEmpty() ? this.initial.toMillis()
				: this.samples.stream().mapToLong((s) -> s[1]).average().orElse(0);
		double millis = mean * (Math.max(0, jobsAhead) + 1) / Math.max(1, sessions);
		long bounded = Math.max(FLOOR.toMillis(), Math.min(this.ceiling.toMillis(), (long) Math.ceil(millis)));
		return Duration.ofMillis(bounded);
	}

}

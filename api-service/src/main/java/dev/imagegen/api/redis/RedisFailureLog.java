package dev.imagegen.api.redis;

import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;

/**
 * Logs Redis failures of one part at {@code WARN} at most once per {@link #INTERVAL_MS} (the others at
 * {@code DEBUG}): while Redis is down every request fails the same way, and a line per request would bury
 * everything else in the log. The count of failures is in the part's metrics.
 */
public final class RedisFailureLog {

	/** One warning per half minute is enough to see that Redis is still down. */
	static final long INTERVAL_MS = 30_000;

	private final Logger logger;

	private final AtomicLong lastWarning = new AtomicLong(Long.MIN_VALUE);

	/**
	 * @param logger the part's logger
	 */
	public RedisFailureLog(Logger logger) {
		this.logger = logger;
	}

	/**
	 * Logs one failure.
	 * @param what what failed, e.g. {@code "shared image cache lookup"} (no user text)
	 * @param failure why
	 */
	public void failed(String what, Throwable failure) {
		long now = System.currentTimeMillis();
		long last = this.lastWarning.get();
		if ((last == Long.MIN_VALUE || now - last >= INTERVAL_MS) && this.lastWarning.compareAndSet(last, now)) {
			this.logger.warn("Redis: {} failed ({}); further failures within {} s are logged at DEBUG", what,
					failure.toString(), INTERVAL_MS / 1000);
		}
		else {
			this.logger.debug("Redis: {} failed", what, failure);
		}
	}

}

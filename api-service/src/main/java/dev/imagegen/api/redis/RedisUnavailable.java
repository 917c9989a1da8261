package dev.imagegen.api.redis;

import java.time.Duration;

import dev.imagegen.api.problem.ApiProblem;
import dev.imagegen.api.problem.ProblemTypes;

/**
 * The one answer to "Redis did not answer" in the Redis mode, whichever part asked (the work stream, jobs, the
 * shared cache, client limits): {@code 503 queue-unavailable} with {@code Retry-After: 5}. Lettuce reconnects by
 * itself, so asking again after that is the right advice; the cause goes to the log, never to the client.
 */
public final class RedisUnavailable {

	/** How long a client should wait before asking again: about one reconnect attempt of Lettuce. */
	public static final Duration RETRY_AFTER = Duration.ofSeconds(5);

	private RedisUnavailable() {
	}

	/**
	 * @return the problem to answer
	 */
	public static ApiProblem problem() {
		return ApiProblem
			.of(ProblemTypes.QUEUE_UNAVAILABLE, 503, "Queue unavailable",
					"The shared queue (Redis) did not answer in time. Try again shortly.")
			.withRetryAfter(RETRY_AFTER);
	}

}

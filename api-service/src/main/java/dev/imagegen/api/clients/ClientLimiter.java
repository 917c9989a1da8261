package dev.imagegen.api.clients;

import java.time.Duration;

import reactor.core.publisher.Mono;

/**
 * Per-client limits: a request rate for every request, and for generations a rate and a cap on how many run at
 * once. In memory on one box ({@link LocalClientLimiter}); shared through Redis by every replica in the Redis
 * mode ({@link RedisClientLimiter}).
 * <p>
 * Reactive because the shared limiter asks Redis and its callers run on the event loop, which must never wait;
 * the in-memory one answers at once. Only the shared one can fail: with {@code 503 queue-unavailable}.
 */
public interface ClientLimiter {

	/**
	 * Spends one request token.
	 * @param client the client
	 * @return the decision; when refused, how long until a token is free
	 */
	Mono<Decision> tryRequest(ClientIdentity client);

	/**
	 * Takes one of the client's concurrency slots and spends one generation token (a refused token gives the
	 * slot back; a full set of slots spends no token). The caller must {@link Decision#release()} an admitted
	 * generation when it ends, however it ends.
	 * @param client the client
	 * @return the decision
	 */
	Mono<Decision> tryStartGeneration(ClientIdentity client);

	/**
	 * What is left of the client's quotas, for the {@code RateLimit} header; spends nothing.
	 * @param client the client
	 * @return the quotas
	 */
	Mono<Quotas> quotas(ClientIdentity client);

	/**
	 * The outcome of asking for a token.
	 *
	 * @param admitted whether the request or generation may go ahead
	 * @param reason when refused: {@code request-rate}, {@code generation-rate} or {@code concurrency}
	 * @param retryAfter when refused: how long until asking again can succeed
	 * @param onRelease gives an admitted generation's slot back; does nothing otherwise
	 */
	record Decision(boolean admitted, String reason, Duration retryAfter, Runnable onRelease) {

		static Decision admitted(Runnable release) {
			return new Decision(true, null, Duration.ZERO, release);
		}

		static Decision refused(String reason, Duration retryAfter) {
			return new Decision(false, reason, retryAfter, () -> {
			});
		}

		/** Gives the slot back (once; later calls do nothing). */
		public void release() {
			this.onRelease.run();
		}

	}

	/**
	 * Remaining quotas.
	 *
	 * @param requestsLimit requests per window
	 * @param requestsRemaining requests left now
	 * @param requestsReset seconds until the request quota is full again
	 * @param generationsLimit generations per window
	 * @param generationsRemaining generations left now
	 * @param generationsReset seconds until the generation quota is full again
	 * @param windowSeconds the window both quotas are counted over
	 */
	record Quotas(long requestsLimit, long requestsRemaining, long requestsReset, long generationsLimit,
			long generationsRemaining, long generationsReset, long windowSeconds) {
	}

}

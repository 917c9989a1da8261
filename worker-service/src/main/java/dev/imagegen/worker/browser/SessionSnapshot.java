package dev.imagegen.worker.browser;

import java.time.Instant;

/**
 * A browser session as {@code /health} shows it.
 *
 * @param id e.g. {@code session-0}
 * @param state {@code starting}, {@code ready}, {@code busy}, {@code restarting}, {@code failed} or {@code stopped}
 * @param keyAgeSeconds age of the user key, null without one
 * @param lastSuccessAt when the session last delivered an image, null if never
 * @param lastError the last failure, null after a success
 * @param breaker the circuit breaker
 * @param upstreamProtocolChanged whether Perchance last answered {@code client_update_required} or an unreadable shape
 * @param canServe whether the session can take a job now
 */
public record SessionSnapshot(String id, String state, Long keyAgeSeconds, Instant lastSuccessAt, String lastError,
		BreakerSnapshot breaker, boolean upstreamProtocolChanged, boolean canServe) {

	/**
	 * The breaker part of a snapshot.
	 *
	 * @param state {@code closed}, {@code open} or {@code half-open}
	 * @param reason {@code rate-limited} or {@code challenge} while not closed
	 * @param retryAfterSeconds seconds until it lets a trial job through, null when not open
	 */
	public record BreakerSnapshot(String state, String reason, Long retryAfterSeconds) {
	}

}

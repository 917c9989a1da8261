package dev.imagegen.api.health;

import java.util.List;

/**
 * The body of {@code GET /health} in either mode: {@link HealthReport} (direct) or {@link RedisHealthReport} (Redis).
 */
public sealed interface ApiHealthReport permits HealthReport, RedisHealthReport {

	/**
	 * The overall status.
	 * @return {@code UP}, {@code DEGRADED} or {@code DOWN}
	 */
	String status();

	/**
	 * The workers as this mode sees them.
	 * @return one entry per worker
	 */
	List<?> workers();

	/**
	 * Why the API is DOWN when no entry says it.
	 * @return the reason, or {@code null}
	 */
	String detail();

	/**
	 * Whether the API is DOWN (HTTP 503).
	 * @return {@code true} when no worker is usable
	 */
	default boolean down() {
		return "DOWN".equals(status());
	}

}

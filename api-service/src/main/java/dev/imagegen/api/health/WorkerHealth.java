package dev.imagegen.api.health;

/**
 * What one probe of a worker's {@code GET /health} found.
 *
 * @param url the worker's base URL
 * @param status {@code UP}, {@code DEGRADED} or {@code DOWN}
 * @param latencyMs how long the probe took
 * @param detail why the worker is not UP; {@code null} (and present in the JSON) when it is
 */
public record WorkerHealth(String url, String status, Long latencyMs, String detail) {

	/**
	 * Whether the worker can take generations.
	 * @return {@code true} for UP and DEGRADED
	 */
	boolean usable() {
		return "UP".equals(this.status) || "DEGRADED".equals(this.status);
	}

}

package dev.imagegen.api.health;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * The body of {@code GET /health} in the direct mode.
 *
 * @param status {@code UP} (every worker up), {@code DEGRADED} (some but not all usable) or {@code DOWN}
 * @param workers one entry per configured worker
 * @param detail why the API is DOWN when no worker is configured, else {@code null}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record HealthReport(String status, List<WorkerHealth> workers, String detail) implements ApiHealthReport {

	/**
	 * Whether the API is DOWN (HTTP 503).
	 * @return {@code true} when no worker is usable
	 */
	@Override
	public boolean down() {
		return "DOWN".equals(this.status);
	}

}

package dev.imagegen.api.health;

import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;

import dev.imagegen.api.worker.LiveWorkers.LiveWorker;

/**
 * The body of {@code GET /health} in the Redis mode (docs/api.md "Health").
 *
 * @param status {@code UP} (every live worker up), {@code DEGRADED} (some usable) or {@code DOWN} (none, or Redis
 * unreachable)
 * @param workers the live workers, from their heartbeats
 * @param redis whether Redis answered
 * @param detail why the API is DOWN when it is, else {@code null}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RedisHealthReport(String status, List<LiveWorker> workers, Redis redis, String detail)
		implements ApiHealthReport {

	/**
	 * Redis as the API sees it.
	 *
	 * @param status {@code UP} or {@code DOWN}
	 * @param reason why it is DOWN; {@code null} (and present in the JSON) when it is UP
	 */
	public record Redis(String status, @JsonInclude(JsonInclude.Include.ALWAYS) String reason) {
	}

}

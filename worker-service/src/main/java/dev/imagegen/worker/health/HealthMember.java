package dev.imagegen.worker.health;

import java.util.Map;

/**
 * An extra member of the worker's {@code GET /health} body beside the sessions and the queue, e.g. {@code redis}
 * in the Redis mode (docs/worker-api.md, "Redis mode"). A member that is not healthy turns an {@code UP} worker
 * into {@code DEGRADED}: the worker still serves HTTP, so it never makes it {@code DOWN}.
 */
public interface HealthMember {

	/**
	 * The member's name in the body.
	 * @return e.g. {@code redis}
	 */
	String name();

	/**
	 * The member's JSON object.
	 * @return a map with at least {@code status}
	 */
	Map<String, Object> body();

	/**
	 * Whether the member is healthy now.
	 * @return false when it should degrade the overall status
	 */
	boolean healthy();

}

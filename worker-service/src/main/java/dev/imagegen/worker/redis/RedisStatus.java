package dev.imagegen.worker.redis;

import java.util.LinkedHashMap;
import java.util.Map;

import dev.imagegen.worker.health.HealthMember;

/**
 * Whether this worker reaches Redis, as the {@code redis} member of {@code GET /health} shows it
 * ({@code {"status":"UP|DOWN","reason":…}}, docs/worker-api.md "Redis mode"): the outcome of the last command
 * of the heartbeat or a pull loop. Redis down does not fail readiness (the worker still serves HTTP); it makes an
 * otherwise {@code UP} worker {@code DEGRADED}.
 */
final class RedisStatus implements HealthMember {

	private static final int MAX_REASON = 300;

	private volatile String reason = "not connected yet";

	@Override
	public String name() {
		return "redis";
	}

	@Override
	public Map<String, Object> body() {
		String now = this.reason;
		Map<String, Object> body = new LinkedHashMap<>();
		body.put("status", (now == null) ? "UP" : "DOWN");
		body.put("reason", now);
		return body;
	}

	@Override
	public boolean healthy() {
		return this.reason == null;
	}

	/** A command succeeded. */
	void up() {
		this.reason = null;
	}

	/**
	 * A command failed.
	 * @param failure why (its message, on one line; Lettuce's never carry the password)
	 */
	void down(Throwable failure) {
		String message = (failure.getMessage() != null) ? failure.getMessage() : failure.getClass().getSimpleName();
		message = "Redis unreachable: " + message.replaceAll("\\s+", " ").trim();
		this.reason = (message.length() > MAX_REASON) ? message.substring(0, MAX_REASON) : message;
	}

}

package dev.imagegen.worker.redis;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

import dev.imagegen.worker.health.WorkerHealth;

/**
 * Keeps {@code P:worker:{workerId}} alive: {@code {"id","heartbeatAt","health"}} with the body of
 * {@code GET /health}, written with a TTL of {@code WORKER_HEARTBEAT_TIMEOUT} every third of it. The API lists
 * the live workers from these keys and sums their sessions for the backlog bound.
 */
final class Heartbeat implements Runnable {

	private static final Logger log = LoggerFactory.getLogger(Heartbeat.class);

	private final String workerId;

	private final WorkStream stream;

	private final WorkerHealth health;

	private final JsonMapper json;

	private final RedisStatus status;

	private final RedisMetrics metrics;

	private volatile boolean failing;

	Heartbeat(String workerId, WorkStream stream, WorkerHealth health, JsonMapper json, RedisStatus status,
			RedisMetrics metrics) {
		this.workerId = workerId;
		this.stream = stream;
		this.health = health;
		this.json = json;
		this.status = status;
		this.metrics = metrics;
	}

	@Override
	public void run() {
		try {
			this.stream.heartbeat(this.workerId, body());
			this.status.up();
			if (this.failing) {
				log.info("Heartbeat of {} written again", this.workerId);
				this.failing = false;
			}
		}
		catch (RuntimeException ex) {
			this.metrics.error("heartbeat");
			this.status.down(ex);
			if (!this.failing) {
				log.warn("Heartbeat of {} failed: {}", this.workerId, ex.toString());
				this.failing = true;
			}
		}
	}

	String body() {
		Map<String, Object> beat = new LinkedHashMap<>();
		beat.put("id", this.workerId);
		beat.put("heartbeatAt", Instant.now().toString());
		beat.put("health", this.health.body());
		return this.json.writeValueAsString(beat);
	}

	/** Deletes the key on a graceful shutdown, so the API stops counting this worker at once. */
	void delete() {
		try {
			this.stream.deleteHeartbeat(this.workerId);
		}
		catch (RuntimeException ex) {
			log.warn("Could not delete the heartbeat of {} (it expires by itself): {}", this.workerId, ex.toString());
		}
	}

}

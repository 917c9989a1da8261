package dev.imagegen.worker.health;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.stereotype.Component;

import dev.imagegen.worker.browser.SessionPool;
import dev.imagegen.worker.browser.SessionSnapshot;

/**
 * The body of the worker's {@code GET /health}: overall status, each browser session, the queue and any
 * {@link HealthMember}. The Redis mode's heartbeat carries the same body (docs/architecture.md, "Scale-out on
 * Redis"), so the API sees a worker exactly as its {@code /health} shows it.
 */
@Component
public class WorkerHealth {

	private final SessionPool pool;

	private final ObjectProvider<HealthMember> members;

	WorkerHealth(SessionPool pool, ObjectProvider<HealthMember> members) {
		this.pool = pool;
		this.members = members;
	}

	/**
	 * The health now.
	 * @return the body, whose {@code status} is {@code UP}, {@code DEGRADED} or {@code DOWN}
	 */
	public Map<String, Object> body() {
		SessionPool.PoolSnapshot snapshot = this.pool.snapshot();
		String status = snapshot.status();
		Map<String, Object> body = new LinkedHashMap<>();
		body.put("status", status);
		List<Map<String, Object>> sessions = snapshot.sessions().stream().map(WorkerHealth::session).toList();
		body.put("sessions", sessions);
		Map<String, Object> queue = new LinkedHashMap<>();
		queue.put("depth", snapshot.depth());
		queue.put("capacity", snapshot.capacity());
		body.put("queue", queue);
		for (HealthMember member : this.members.orderedStream().toList()) {
			body.put(member.name(), member.body());
			if (!member.healthy() && "UP".equals(status)) {
				status = "DEGRADED";
				body.put("status", status);
			}
		}
		return body;
	}

	private static Map<String, Object> session(SessionSnapshot s) {
		Map<String, Object> map = new LinkedHashMap<>();
		map.put("id", s.id());
		map.put("state", s.state());
		map.put("keyAgeSeconds", s.keyAgeSeconds());
		map.put("lastSuccessAt", (s.lastSuccessAt() != null) ? s.lastSuccessAt().toString() : null);
		map.put("lastError", s.lastError());
		Map<String, Object> breaker = new LinkedHashMap<>();
		breaker.put("state", s.breaker().state());
		breaker.put("reason", s.breaker().reason());
		breaker.put("retryAfterSeconds", s.breaker().retryAfterSeconds());
		map.put("breaker", breaker);
		map.put("upstreamProtocolChanged", s.upstreamProtocolChanged());
		return map;
	}

}

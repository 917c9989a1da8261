package dev.imagegen.worker.health;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

import dev.imagegen.worker.browser.SessionPool;
import dev.imagegen.worker.browser.SessionSnapshot;

/**
 * {@code GET /health} of the worker contract: overall status, each browser session, and the queue. Reading it
 * never touches Perchance. HTTP 200 unless the status is {@code DOWN} (503).
 */
@RestController
class HealthController {

	private final SessionPool pool;

	HealthController(SessionPool pool) {
		this.pool = pool;
	}

	@GetMapping("/health")
	ResponseEntity<Map<String, Object>> health() {
		SessionPool.PoolSnapshot snapshot = this.pool.snapshot();
		Map<String, Object> body = new LinkedHashMap<>();
		body.put("status", snapshot.status());
		List<Map<String, Object>> sessions = snapshot.sessions().stream().map(HealthController::session).toList();
		body.put("sessions", sessions);
		Map<String, Object> queue = new LinkedHashMap<>();
		queue.put("depth", snapshot.depth());
		queue.put("capacity", snapshot.capacity());
		body.put("queue", queue);
		HttpStatus status = "DOWN".equals(snapshot.status()) ? HttpStatus.SERVICE_UNAVAILABLE : HttpStatus.OK;
		return ResponseEntity.status(status).body(body);
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

package dev.imagegen.worker.health;

import java.util.Map;

import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /health} of the worker contract: overall status, each browser session, and the queue (see
 * {@link WorkerHealth}). Reading it never touches Perchance. HTTP 200 unless the status is {@code DOWN} (503).
 */
@RestController
class HealthController {

	private final WorkerHealth health;

	HealthController(WorkerHealth health) {
		this.health = health;
	}

	@GetMapping("/health")
	ResponseEntity<Map<String, Object>> health() {
		Map<String, Object> body = this.health.body();
		HttpStatus status = "DOWN".equals(body.get("status")) ? HttpStatus.SERVICE_UNAVAILABLE : HttpStatus.OK;
		return ResponseEntity.status(status).body(body);
	}

}

package dev.imagegen.api.health;

import reactor.core.publisher.Mono;

import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /health}: the API's status as the contract defines it, with one entry per worker (probed in the
 * direct mode, from Redis heartbeats in the Redis mode, plus Redis itself); HTTP 200 unless DOWN (503).
 */
@RestController
class HealthController {

	private final HealthCheck checker;

	HealthController(HealthCheck checker) {
		this.checker = checker;
	}

	@GetMapping(path = "/health", produces = MediaType.APPLICATION_JSON_VALUE)
	Mono<ResponseEntity<ApiHealthReport>> health() {
		return this.checker.check()
			.map((report) -> ResponseEntity.status(report.down() ? HttpStatus.SERVICE_UNAVAILABLE : HttpStatus.OK)
				.header("Cache-Control", "no-store")
				.body((ApiHealthReport) report));
	}

}

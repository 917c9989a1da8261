package dev.imagegen.api.health;

import reactor.core.publisher.Mono;

/**
 * Where the API's health comes from: its workers' own {@code /health} in the direct mode
 * ({@link WorkerHealthChecker}), the workers' heartbeats in Redis in the Redis mode ({@link RedisHealthCheck}).
 * {@code GET /health} and the readiness contributor {@code workers} both ask it.
 */
interface HealthCheck {

	/**
	 * The current report.
	 * @return the report; never an error (a failure is a DOWN report that says why)
	 */
	Mono<? extends ApiHealthReport> check();

}

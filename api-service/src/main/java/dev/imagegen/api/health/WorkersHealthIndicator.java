package dev.imagegen.api.health;

import reactor.core.publisher.Mono;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.ReactiveHealthIndicator;
import org.springframework.stereotype.Component;

/**
 * Actuator contributor {@code workers}: UP when at least one worker can take generations. It belongs to
 * the readiness group (an API without a usable worker should get no traffic) and never to liveness
 * (restarting the API does not fix a worker).
 */
@Component("workers")
class WorkersHealthIndicator implements ReactiveHealthIndicator {

	private final HealthCheck checker;

	WorkersHealthIndicator(HealthCheck checker) {
		this.checker = checker;
	}

	@Override
	public Mono<Health> health() {
		return this.checker.check().map((report) -> {
			Health.Builder builder = report.down() ? Health.down() : Health.up();
			builder.withDetail("status", report.status()).withDetail("workers", report.workers());
			if (report instanceof RedisHealthReport redis) {
				builder.withDetail("redis", redis.redis());
			}
			if (report.detail() != null) {
				builder.withDetail("detail", report.detail());
			}
			return builder.build();
		});
	}

}

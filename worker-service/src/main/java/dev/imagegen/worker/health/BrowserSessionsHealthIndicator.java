package dev.imagegen.worker.health;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

import dev.imagegen.worker.browser.SessionPool;

/**
 * Readiness contributor ({@code browserSessions}): UP once at least one browser session can take a job.
 * It is part of the readiness group only, so liveness never depends on Perchance.
 */
@Component
class BrowserSessionsHealthIndicator implements HealthIndicator {

	private final SessionPool pool;

	BrowserSessionsHealthIndicator(SessionPool pool) {
		this.pool = pool;
	}

	@Override
	public Health health() {
		SessionPool.PoolSnapshot snapshot = this.pool.snapshot();
		Health.Builder builder = this.pool.anyReady() ? Health.up() : Health.outOfService();
		return builder.withDetail("status", snapshot.status())
			.withDetail("readySessions", snapshot.sessions().stream().filter((s) -> s.canServe()).count())
			.withDetail("sessions", snapshot.sessions().size())
			.withDetail("queueDepth", snapshot.depth())
			.build();
	}

}

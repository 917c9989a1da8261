package dev.imagegen.worker.health;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

import dev.imagegen.worker.browser.SessionPool;
import dev.imagegen.worker.browser.SessionSnapshot;

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
		long ready = snapshot.sessions().stream().filter(SessionSnapshot::canServe).count();
		// A pool that is draining or stopped reports DOWN: then no session counts as ready .
		boolean anyReady = ready > 0 && !"DOWN".equals(snapshot.status());
		Health.Builder builder = anyReady ? Health.up() : Health.outOfService();
		return builder.withDetail("status", snapshot.status())
			.withDetail("readySessions", ready)
			.withDetail("sessions", snapshot.sessions().size())
			.withDetail("queueDepth", snapshot.depth())
			.build();
	}

}

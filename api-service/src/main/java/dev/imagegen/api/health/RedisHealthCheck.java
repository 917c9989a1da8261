package dev.imagegen.api.health;

import java.util.List;
import java.util.concurrent.TimeoutException;

import reactor.core.publisher.Mono;

import dev.imagegen.api.redis.RedisModeEnvironment;
import dev.imagegen.api.worker.LiveWorkers;
import dev.imagegen.api.worker.LiveWorkers.LiveWorker;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.stereotype.Component;

/**
 * Redis mode: the API's health from Redis: the live workers' heartbeats (those {@code P:workers} names) and
 * whether Redis answers at all. Nothing is probed over HTTP; a worker that stops writing its heartbeat drops out after
 * {@code WORKER_HEARTBEAT_TIMEOUT}.
 */
@Component
@ConditionalOnBooleanProperty(RedisModeEnvironment.ENABLED)
class RedisHealthCheck implements HealthCheck {

	private static final RedisHealthReport.Redis REDIS_UP = new RedisHealthReport.Redis("UP", null);

	private final LiveWorkers liveWorkers;

	RedisHealthCheck(LiveWorkers liveWorkers) {
		this.liveWorkers = liveWorkers;
	}

	@Override
	public Mono<RedisHealthReport> check() {
		return this.liveWorkers.list()
			.map(RedisHealthCheck::aggregate)
			.onErrorResume((failure) -> {
				String reason = reason(failure);
				return Mono.just(new RedisHealthReport("DOWN", List.of(), new RedisHealthReport.Redis("DOWN", reason),
						"Redis is unreachable (" + reason + "): no generation can be queued."));
			});
	}

	static RedisHealthReport aggregate(List<LiveWorker> workers) {
		long usable = workers.stream().filter(LiveWorker::usable).count();
		long up = workers.stream().filter((worker) -> "UP".equals(worker.status())).count();
		if (usable == 0) {
			String detail = workers.isEmpty()
					? "No live worker: none has written a heartbeat to Redis within WORKER_HEARTBEAT_TIMEOUT."
					: "No live worker can take a generation: every one reports DOWN.";
			return new RedisHealthReport("DOWN", workers, REDIS_UP, detail);
		}
		return new RedisHealthReport((up == workers.size()) ? "UP" : "DEGRADED", workers, REDIS_UP, null);
	}

	/** Why Redis failed, in words that name no host, port or password (the page is public). */
	private static String reason(Throwable failure) {
		for (Throwable cause = failure; cause != null; cause = (cause.getCause() != cause) ? cause.getCause() : null) {
			if (cause instanceof TimeoutException || cause instanceof io.lettuce.core.RedisCommandTimeoutException) {
				return "no answer in time";
			}
			if (cause instanceof java.net.ConnectException
					|| cause instanceof io.lettuce.core.RedisConnectionException) {
				return "connection refused or unreachable";
			}
		}
		return "command failed (" + failure.getClass().getSimpleName() + ")";
	}

}

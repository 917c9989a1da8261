package dev.imagegen.worker.redis;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The Redis mode's meters (docs/operations.md): work-stream entries by outcome and Redis failures by operation.
 * Tags carry fixed values only.
 */
final class RedisMetrics {

	private final MeterRegistry registry;

	RedisMetrics(MeterRegistry registry) {
		this.registry = registry;
	}

	/**
	 * Counts an entry.
	 * @param outcome {@code done} (image stored), {@code failed} (problem stored), {@code expired} (504, never
	 * started), {@code cancelled} (caller gone, nothing stored), {@code claimed} (taken from a gone worker) or
	 * {@code released} (left pending for another worker at shutdown)
	 */
	void entry(String outcome) {
		Counter.builder("imagegen.worker.redis.entries")
			.description("Work-stream entries handled by this worker, by outcome")
			.tag("outcome", outcome)
			.register(this.registry)
			.increment();
	}

	/**
	 * Counts a failed Redis command.
	 * @param operation {@code read}, {@code group}, {@code reclaim}, {@code cancel-check}, {@code result},
	 * {@code publish} or {@code heartbeat}
	 */
	void error(String operation) {
		Counter.builder("imagegen.worker.redis.errors")
			.description("Redis commands of the worker that failed, by operation")
			.tag("operation", operation)
			.register(this.registry)
			.increment();
	}

}

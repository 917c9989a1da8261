package dev.imagegen.worker.generate;

import java.time.Duration;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import org.springframework.stereotype.Component;

/**
 * The end-to-end meter of {@code POST /generate}: time from a job's arrival to its answer, by outcome
 * ({@code success} or a problem name, never prompt text).
 */
@Component
class GenerationMetrics {

	private final MeterRegistry registry;

	GenerationMetrics(MeterRegistry registry) {
		this.registry = registry;
	}

	/**
	 * Records the end-to-end time of one job.
	 * @param outcome {@code success} or a problem name
	 * @param duration time from arrival to answer
	 */
	void generation(String outcome, Duration duration) {
		Timer.builder("imagegen.worker.generation").description("Time from job arrival to answer, by outcome")
			.tag("outcome", outcome).register(this.registry).record(duration);
	}

}

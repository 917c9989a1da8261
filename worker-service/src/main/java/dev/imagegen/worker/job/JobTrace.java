package dev.imagegen.worker.job;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;

/**
 * The trace of one job: the request's server observation (the parent, so that the steps join the trace the
 * caller's {@code traceparent} started) and the observations of its steps. Every step is one observation
 * named {@value #NAME} with a low-cardinality {@code step} tag (its span is named {@code imagegen <step>}), so
 * the steps also give one timer, {@code imagegen_worker_step_seconds{step=…}} (docs/operations.md). Tags never
 * carry prompt text.
 */
public final class JobTrace {

	/** Name of the step observations (and of their timer). */
	public static final String NAME = "imagegen.worker.step";

	/** A job nobody traces (tests, or a registry without handlers): every step runs unobserved. */
	public static final JobTrace NONE = new JobTrace(ObservationRegistry.NOOP, null);

	private final ObservationRegistry registry;

	private final Observation parent;

	private volatile Observation queueWait;

	private final AtomicBoolean queueWaitStarted = new AtomicBoolean();

	private final AtomicBoolean queueWaitEnded = new AtomicBoolean();

	private JobTrace(ObservationRegistry registry, Observation parent) {
		this.registry = registry;
		this.parent = parent;
	}

	/**
	 * The trace of a job about to be queued, under the observation current on this thread (the request's).
	 * @param registry the registry
	 * @return the trace
	 */
	public static JobTrace of(ObservationRegistry registry) {
		return new JobTrace(registry, registry.getCurrentObservation());
	}

	/** Starts the queue-wait step; called once, just before the job enters the queue. */
	void queued() {
		if (this.queueWaitStarted.compareAndSet(false, true)) {
			this.queueWait = step("queue-wait").start();
		}
	}

	/** Ends the queue-wait step (a session took the job, or the job ended in the queue); idempotent. */
	public void queueWaitEnded() {
		Observation running = this.queueWait;
		if (running != null && this.queueWaitEnded.compareAndSet(false, true)) {
			running.stop();
		}
	}

	/**
	 * Makes the request's observation current on this thread (a session's), so that its log lines carry the
	 * trace id too.
	 * @return the scope to close when the job is done here
	 */
	public Observation.Scope openScope() {
		return (this.parent != null) ? this.parent.openScope() : Observation.Scope.NOOP;
	}

	/**
	 * Runs one step of the job as an observation.
	 * @param <T> the step's result
	 * @param step the step's tag value, e.g. {@code encode}
	 * @param work the step
	 * @return its result
	 */
	public <T> T observe(String step, Supplier<T> work) {
		return step(step).observe(work);
	}

	private Observation step(String step) {
		// The literal (= NAME) lets OperationsDocsTests find the timer this observation also records.
		Observation observation = Observation.createNotStarted("imagegen.worker.step", this.registry)
			.contextualName("imagegen " + step)
			.lowCardinalityKeyValue("step", step);
		return (this.parent != null) ? observation.parentObservation(this.parent) : observation;
	}

}

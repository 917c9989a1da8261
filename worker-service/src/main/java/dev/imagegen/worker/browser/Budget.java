package dev.imagegen.worker.browser;

import java.time.Duration;

import dev.imagegen.worker.job.Job;
import dev.imagegen.worker.problem.Problem;
import dev.imagegen.worker.problem.WorkerException;

/**
 * The time an upstream conversation may take: a job's deadline, or a fixed span for session work such as
 * warming up. Every step's timeout is cut to what is left.
 */
final class Budget {

	/** How a budget reads the time and waits: the system's, or in tests a clock moved by hand. */
	interface Time {

		/** The system's: {@link System#nanoTime()} and {@link Thread#sleep(long)}. */
		Time SYSTEM = new Time() {
			@Override
			public long nanoTime() {
				return System.nanoTime();
			}

			@Override
			public void sleep(long millis) throws InterruptedException {
				Thread.sleep(millis);
			}
		};

		long nanoTime();

		void sleep(long millis) throws InterruptedException;

	}

	private final Job job;

	private final Time time;

	private final long deadlineNanos;

	private Budget(Job job, Time time, long span) {
		this.job = job;
		this.time = time;
		this.deadlineNanos = time.nanoTime() + span;
	}

	static Budget of(Job job) {
		return of(job, Time.SYSTEM);
	}

	/** A job's budget on the given time (tests: a clock that a fake upstream moves instead of taking real time). */
	static Budget of(Job job, Time time) {
		return new Budget(job, time, job.remaining().toNanos());
	}

	static Budget of(Duration span) {
		return new Budget(null, Time.SYSTEM, span.toNanos());
	}

	Duration remaining() {
		return Duration.ofNanos(this.deadlineNanos - this.time.nanoTime());
	}

	/**
	 * Stops the conversation when the caller has gone or the deadline has passed: called at every step
	 * boundary, so a running job whose caller disconnected frees its session at the next step.
	 */
	void check() {
		if (this.job != null && (this.job.finished() || (this.job.callerGone() && this.job.cancel()))) {
			throw new JobAbandonedException();
		}
		checkDeadline("before the next step");
	}

	void checkDeadline(String during) {
		if (this.time.nanoTime() - this.deadlineNanos >= 0) {
			if (this.job != null) {
				throw new WorkerException(Problem.DEADLINE_EXCEEDED, "The job's deadline passed " + during);
			}
			throw new WorkerException(Problem.UPSTREAM_FAILURE, "Perchance did not answer in time " + during);
		}
	}

	/** The timeout of the next step: the step limit, never beyond the deadline. */
	Duration stepTimeout(Duration stepLimit) {
		check();
		Duration left = remaining();
		return (left.compareTo(stepLimit) < 0) ? left : stepLimit;
	}

	/** Waits, but not past the deadline. */
	void sleep(Duration wait, String during) {
		Duration left = remaining();
		if (left.compareTo(wait) <= 0) {
			checkDeadline(during);
			try {
				// One millisecond more, so the deadline has surely passed when it wakes (no step with ~0 ms left).
				this.time.sleep(Math.max(0, left.toMillis() + 1));
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
			checkDeadline(during);
			return;
		}
		try {
			this.time.sleep(wait.toMillis());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new WorkerException(Problem.SHUTTING_DOWN, "The worker is stopping");
		}
		check();
	}

	/** Thrown when nobody waits for the job any more. */
	static final class JobAbandonedException extends RuntimeException {

		JobAbandonedException() {
			super("The caller went away", null, false, false);
		}

	}

}

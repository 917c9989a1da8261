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

	private final Job job;

	private final long deadlineNanos;

	private Budget(Job job, long deadlineNanos) {
		this.job = job;
		this.deadlineNanos = deadlineNanos;
	}

	static Budget of(Job job) {
		return new Budget(job, System.nanoTime() + job.remaining().toNanos());
	}

	static Budget of(Duration span) {
		return new Budget(null, System.nanoTime() + span.toNanos());
	}

	Duration remaining() {
		return Duration.ofNanos(this.deadlineNanos - System.nanoTime());
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
		if (System.nanoTime() - this.deadlineNanos >= 0) {
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
				Thread.sleep(Math.max(0, left.toMillis() + 1));
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
			checkDeadline(during);
			return;
		}
		try {
			Thread.sleep(wait.toMillis());
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

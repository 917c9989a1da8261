package dev.imagegen.worker.problem;

import java.time.Duration;
import java.util.List;

/**
 * A failure that is answered with a problem+json body of a given {@link Problem} kind.
 */
public class WorkerException extends RuntimeException {

	private final Problem problem;

	private final Duration retryAfter;

	private final List<FieldError> errors;

	/**
	 * Creates a failure.
	 * @param problem the kind
	 * @param detail what happened, for the caller (never prompt text)
	 * @param retryAfter when retrying may help, or null
	 */
	public WorkerException(Problem problem, String detail, Duration retryAfter) {
		this(problem, detail, retryAfter, List.of());
	}

	/**
	 * Creates a failure without a retry hint.
	 * @param problem the kind
	 * @param detail what happened, for the caller (never prompt text)
	 */
	public WorkerException(Problem problem, String detail) {
		this(problem, detail, null, List.of());
	}

	/**
	 * Creates a validation failure.
	 * @param problem the kind
	 * @param detail summary
	 * @param retryAfter when retrying may help, or null
	 * @param errors per-field messages
	 */
	public WorkerException(Problem problem, String detail, Duration retryAfter, List<FieldError> errors) {
		super(detail);
		this.problem = problem;
		this.retryAfter = retryAfter;
		this.errors = List.copyOf(errors);
	}

	/**
	 * The failure kind.
	 * @return the problem
	 */
	public Problem problem() {
		return this.problem;
	}

	/**
	 * How long the caller should wait before retrying.
	 * @return the wait, or null when waiting does not help
	 */
	public Duration retryAfter() {
		return this.retryAfter;
	}

	/**
	 * Per-field validation messages.
	 * @return possibly empty list
	 */
	public List<FieldError> errors() {
		return this.errors;
	}

	/**
	 * One validation message.
	 * @param parameter the field name as the caller spelt it
	 * @param message what is wrong with it
	 */
	public record FieldError(String parameter, String message) {
	}

}

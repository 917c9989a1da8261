package dev.imagegen.api.problem;

import java.time.Duration;
import java.util.List;

import org.springframework.http.HttpStatus;

/**
 * A failure the API answers with an RFC 9457 problem. Thrown (or emitted as a reactive error) anywhere
 * while handling a request and rendered by {@link ProblemRenderer} as {@code application/problem+json}
 * or, for image-preferring clients, as a PNG.
 */
public final class ApiProblem extends RuntimeException {

	private final String type;

	private final int status;

	private final String title;

	private final String detail;

	private final List<InvalidParameter> errors;

	private final Duration retryAfter;

	private ApiProblem(String type, int status, String title, String detail, List<InvalidParameter> errors,
			Duration retryAfter) {
		super(detail, null, false, false);
		this.type = type;
		this.status = status;
		this.title = title;
		this.detail = detail;
		this.errors = List.copyOf(errors);
		this.retryAfter = retryAfter;
	}

	/**
	 * Creates a problem.
	 * @param type the problem type URI
	 * @param status the HTTP status
	 * @param title a short, fixed summary of the problem type
	 * @param detail what happened in this occurrence
	 * @return the problem
	 */
	public static ApiProblem of(String type, int status, String title, String detail) {
		return new ApiProblem(type, status, title, detail, List.of(), null);
	}

	/**
	 * Creates a {@code validation-error} problem listing every offending parameter.
	 * @param errors the offending parameters, at least one
	 * @return the problem
	 */
	public static ApiProblem validation(List<InvalidParameter> errors) {
		StringBuilder detail = new StringBuilder();
		for (InvalidParameter error : errors) {
			detail.append((detail.length() == 0) ? "" : "; ").append(error.parameter()).append(": ").append(error.message());
		}
		return new ApiProblem(ProblemTypes.VALIDATION_ERROR, HttpStatus.BAD_REQUEST.value(), "Invalid request parameters",
				detail.toString(), errors, null);
	}

	/**
	 * Returns a copy of this problem that tells the client when to retry.
	 * @param retryAfter the delay for the {@code Retry-After} header
	 * @return the new problem
	 */
	public ApiProblem withRetryAfter(Duration retryAfter) {
		return new ApiProblem(this.type, this.status, this.title, this.detail, this.errors, retryAfter);
	}

	/**
	 * The problem type URI.
	 * @return the type
	 */
	public String type() {
		return this.type;
	}

	/**
	 * The HTTP status.
	 * @return the status code
	 */
	public int status() {
		return this.status;
	}

	/**
	 * The short summary.
	 * @return the title
	 */
	public String title() {
		return this.title;
	}

	/**
	 * What happened in this occurrence.
	 * @return the detail
	 */
	public String detail() {
		return this.detail;
	}

	/**
	 * The offending parameters of a validation problem.
	 * @return the list, empty for other problems
	 */
	public List<InvalidParameter> errors() {
		return this.errors;
	}

	/**
	 * The delay for the {@code Retry-After} header.
	 * @return the delay, or {@code null} when the header is not sent
	 */
	public Duration retryAfter() {
		return this.retryAfter;
	}

}

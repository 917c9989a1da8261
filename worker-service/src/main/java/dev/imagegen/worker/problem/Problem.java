package dev.imagegen.worker.problem;

import java.net.URI;

import org.springframework.http.HttpStatus;

/**
 * The failure kinds of the worker API, each with a stable problem {@code type} URI and HTTP status
 * (the table of the contract).
 */
public enum Problem {

	/** The body breaks the request rules. */
	INVALID_REQUEST("invalid-request", HttpStatus.BAD_REQUEST, "Invalid request"),
	/** Missing or wrong bearer token. */
	UNAUTHORIZED("unauthorized", HttpStatus.UNAUTHORIZED, "Unauthorized"),
	/** {@code GET /progress/{requestId}} for an id the worker did not learn of within the wait. */
	UNKNOWN_REQUEST("unknown-request", HttpStatus.NOT_FOUND, "Unknown request"),
	/** Perchance answered {@code invalid_data}. */
	UPSTREAM_REJECTED("upstream-rejected", HttpStatus.UNPROCESSABLE_ENTITY, "Upstream rejected the request"),
	/** No room in the bounded queue. */
	QUEUE_FULL("queue-full", HttpStatus.SERVICE_UNAVAILABLE, "Queue full"),
	/** {@code too_many_requests}, HTTP 429, or the breaker is open after one. */
	UPSTREAM_RATE_LIMITED("upstream-rate-limited", HttpStatus.SERVICE_UNAVAILABLE, "Upstream rate limited"),
	/** Cloudflare challenge, or Turnstile never passed. */
	UPSTREAM_CHALLENGE("upstream-challenge", HttpStatus.SERVICE_UNAVAILABLE, "Upstream challenge"),
	/** No browser session is ready. */
	BROWSER_UNAVAILABLE("browser-unavailable", HttpStatus.SERVICE_UNAVAILABLE, "Browser unavailable"),
	/** The worker is draining. */
	SHUTTING_DOWN("shutting-down", HttpStatus.SERVICE_UNAVAILABLE, "Shutting down"),
	/** Retries exhausted, unknown status, bad image, SHA-256 mismatch. */
	UPSTREAM_FAILURE("upstream-failure", HttpStatus.BAD_GATEWAY, "Upstream failure"),
	/** {@code client_update_required} or an answer whose shape the worker cannot read. */
	UPSTREAM_PROTOCOL_CHANGED("upstream-protocol-changed", HttpStatus.BAD_GATEWAY, "Upstream protocol changed"),
	/**
	 * Redis mode only: a work-stream entry was delivered more than three times (its workers kept dying), so it is
	 * answered instead of run again (docs/worker-api.md, "Redis mode").
	 */
	WORKER_UNAVAILABLE("worker-unavailable", HttpStatus.SERVICE_UNAVAILABLE, "Worker unavailable"),
	/** The job's deadline passed, in the queue or upstream. */
	DEADLINE_EXCEEDED("deadline-exceeded", HttpStatus.GATEWAY_TIMEOUT, "Deadline exceeded"),
	/** Anything the worker did not expect of itself. */
	INTERNAL_ERROR("internal-error", HttpStatus.INTERNAL_SERVER_ERROR, "Internal error");

	/** Prefix of every problem type URI. */
	public static final String TYPE_PREFIX = "https://imagegen.dev/problems/";

	private final String id;

	private final HttpStatus status;

	private final String title;

	Problem(String id, HttpStatus status, String title) {
		this.id = id;
		this.status = status;
		this.title = title;
	}

	/**
	 * The short name, last segment of the type URI (also used as a metric tag).
	 * @return e.g. {@code queue-full}
	 */
	public String id() {
		return this.id;
	}

	/**
	 * The HTTP status that carries this problem.
	 * @return the status
	 */
	public HttpStatus status() {
		return this.status;
	}

	/**
	 * A short human-readable summary.
	 * @return the title
	 */
	public String title() {
		return this.title;
	}

	/**
	 * The stable type URI.
	 * @return e.g. {@code https://imagegen.dev/problems/queue-full}
	 */
	public URI type() {
		return URI.create(TYPE_PREFIX + this.id);
	}

}

package dev.imagegen.api.problem;

/**
 * The stable problem {@code type} URIs the API itself produces. A worker's own problem types
 * ({@code queue-full}, {@code upstream-rejected}, ...) are passed on unchanged and are not listed here.
 */
public final class ProblemTypes {

	/** Common prefix of every problem type URI of this system. */
	public static final String BASE = "https://imagegen.dev/problems/";

	/** One or more request parameters are missing, unknown, repeated, of the wrong type or out of range. */
	public static final String VALIDATION_ERROR = BASE + "validation-error";

	/** The {@code POST /generate} body is not a well-formed JSON object. */
	public static final String MALFORMED_JSON = BASE + "malformed-json";

	/** The {@code POST /generate} body is not {@code application/json}. */
	public static final String UNSUPPORTED_MEDIA_TYPE = BASE + "unsupported-media-type";

	/** The {@code POST /generate} body is larger than allowed. */
	public static final String PAYLOAD_TOO_LARGE = BASE + "payload-too-large";

	/** No such resource. */
	public static final String NOT_FOUND = BASE + "not-found";

	/** The resource exists but not with this HTTP method. */
	public static final String METHOD_NOT_ALLOWED = BASE + "method-not-allowed";

	/** The request line (method, target, version) is longer than the server accepts. */
	public static final String URI_TOO_LONG = BASE + "uri-too-long";

	/** The request's header block is larger than the server accepts. */
	public static final String HEADERS_TOO_LARGE = BASE + "headers-too-large";

	/** A request the framework could not read (other than the cases above). */
	public static final String BAD_REQUEST = BASE + "bad-request";

	/** {@code PERCHANCE_WORKER_URL} is not set, so there is nowhere to send a generation. */
	public static final String WORKER_NOT_CONFIGURED = BASE + "worker-not-configured";

	/** No worker accepted a connection. */
	public static final String WORKER_UNAVAILABLE = BASE + "worker-unavailable";

	/** The worker did not answer within {@code WORKER_TIMEOUT}. */
	public static final String WORKER_TIMEOUT = BASE + "worker-timeout";

	/** The worker answered something that is neither a valid image nor a readable problem. */
	public static final String BAD_WORKER_RESPONSE = BASE + "bad-worker-response";

	/** The worker refused the API's credentials: {@code WORKER_TOKEN} does not match the worker's. */
	public static final String WORKER_AUTH_FAILED = BASE + "worker-auth-failed";

	/** An API key was sent but is unknown, or a key is required and none was sent. */
	public static final String UNAUTHORIZED = BASE + "unauthorized";

	/** The client spent its request or generation quota; {@code Retry-After} says when a token is free. */
	public static final String RATE_LIMITED = BASE + "rate-limited";

	/** The client already has as many generations in flight as it may. */
	public static final String TOO_MANY_CONCURRENT = BASE + "too-many-concurrent";

	/** No job has this id (never had, or it expired {@code JOB_RETENTION} after its end). */
	public static final String JOB_NOT_FOUND = BASE + "job-not-found";

	/** The job's image was asked for while the job is still queued or running. */
	public static final String JOB_NOT_FINISHED = BASE + "job-not-finished";

	/** The job's image was asked for but the job was cancelled. */
	public static final String JOB_CANCELLED = BASE + "job-cancelled";

	/** The API holds {@code MAX_JOBS} jobs already. */
	public static final String TOO_MANY_JOBS = BASE + "too-many-jobs";

	/** Redis mode: Redis cannot be reached or did not answer in time; {@code Retry-After} says when to try again. */
	public static final String QUEUE_UNAVAILABLE = BASE + "queue-unavailable";

	/** Redis mode: the shared work stream holds {@code QUEUE_CAPACITY} entries per live session already. */
	public static final String QUEUE_FULL = BASE + "queue-full";

	/** Redis mode: the generation's deadline passed before a worker finished it (it is never started late). */
	public static final String DEADLINE_EXCEEDED = BASE + "deadline-exceeded";

	/** An unexpected failure inside the API. */
	public static final String INTERNAL_ERROR = BASE + "internal-error";

	private ProblemTypes() {
	}

	/**
	 * The last path segment of a problem type URI, as logs and metric tags show it.
	 * @param type a problem type URI, this system's or a worker's
	 * @return e.g. {@code validation-error}
	 */
	public static String shortName(String type) {
		return type.substring(type.lastIndexOf('/') + 1);
	}

}

package dev.imagegen.api.worker;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import dev.imagegen.api.problem.ApiProblem;
import dev.imagegen.api.problem.ProblemTypes;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;

/**
 * The one set of rules that turns a worker's answer to {@code POST /generate} into an image or an
 * {@link ApiProblem}, whether the answer came over HTTP (direct mode) or as a {@code P:result:} hash (Redis mode,
 * docs/architecture.md "Scale-out on Redis"): the image is checked (non-empty, its signature matching the declared and
 * the requested type), worker problems with status 422, 429, 502, 503 and 504 are passed on with their type, detail
 * and {@code Retry-After}, and everything else becomes one of the API's own problems.
 */
public final class WorkerAnswers {

	private static final Logger logger = LoggerFactory.getLogger(WorkerAnswers.class);

	private static final byte[] EMPTY = new byte[0];

	/** Worker problems passed on to the caller with their own status, type and detail. */
	private static final Set<Integer> PASSED_ON = Set.of(422, 429, 502, 503, 504);

	private final JsonMapper jsonMapper;

	private final Duration defaultRetryAfter;

	/**
	 * Creates the rules.
	 * @param jsonMapper reads the worker's problem bodies
	 * @param defaultRetryAfter the {@code Retry-After} of a worker 503 or 429 that sent none
	 */
	public WorkerAnswers(JsonMapper jsonMapper, Duration defaultRetryAfter) {
		this.jsonMapper = jsonMapper;
		this.defaultRetryAfter = defaultRetryAfter;
	}

	/**
	 * Maps one answer.
	 * @param status the HTTP status the worker answered
	 * @param declared the answer's {@code Content-Type}, or {@code null} when it sent none (or an unreadable one)
	 * @param body the answer's body, possibly empty
	 * @param retryAfter the worker's {@code Retry-After} in seconds, or {@code null}
	 * @param seed the worker's {@code X-Seed}, or {@code null}
	 * @param worker which worker answered (its URL or its Redis id)
	 * @param expected the media type the caller asked for
	 * @return the checked image
	 * @throws ApiProblem for every answer that is not a good image
	 */
	public WorkerImage read(int status, MediaType declared, byte[] body, String retryAfter, String seed, String worker,
			MediaType expected) {
		if (status == 200) {
			return image(declared, Unpooled.wrappedBuffer(body), seed, worker, expected);
		}
		throw failure(status, declared, body, retryAfter);
	}

	/**
	 * Maps an answer with status 200 whose body was read into a buffer (the direct mode reads an image straight
	 * into the direct buffer the cache keeps: {@code StoredImage}).
	 * @param declared the answer's {@code Content-Type}, or {@code null} when it sent none (or an unreadable one)
	 * @param body the answer's body, possibly empty; the image takes it over, and it is released when refused
	 * @param seed the worker's {@code X-Seed}, or {@code null}
	 * @param worker which worker answered (its URL)
	 * @param expected the media type the caller asked for
	 * @return the checked image, which owns {@code body}
	 * @throws ApiProblem when the body is not the image asked for
	 */
	public WorkerImage image(MediaType declared, ByteBuf body, String seed, String worker, MediaType expected) {
		try {
			return checked(declared, body, seed, worker, expected);
		}
		catch (ApiProblem refused) {
			body.release();
			throw refused;
		}
	}

	/**
	 * Maps an answer with a status other than 200.
	 * @param status the HTTP status the worker answered
	 * @param declared the answer's {@code Content-Type}, or {@code null}
	 * @param body the answer's body, possibly empty
	 * @param retryAfter the worker's {@code Retry-After} in seconds, or {@code null}
	 * @return the problem to answer
	 */
	public ApiProblem failure(int status, MediaType declared, byte[] body, String retryAfter) {
		if (status == 401 || status == 403) {
			return authFailed(status);
		}
		return problem(status, declared, body, retryAfter);
	}

	/**
	 * Maps a worker's result hash {@code P:result:{gen}} of the Redis mode (docs/architecture.md, "The wire") exactly
	 * as the same answer over HTTP: {@code status}, then {@code image}/{@code contentType}/{@code seed} or
	 * {@code problem}/{@code retryAfter}.
	 * @param hash the hash's fields
	 * @param expected the media type the caller asked for
	 * @return the checked image
	 * @throws ApiProblem for every result that is not a good image
	 */
	public WorkerImage readResult(Map<String, byte[]> hash, MediaType expected) {
		String worker = text(hash, "worker");
		Integer status = statusOf(text(hash, "status"));
		if (status == null) {
			throw badResponse("The worker stored a result without a valid status.");
		}
		if (status == 200) {
			return read(status, mediaTypeOf(text(hash, "contentType")), hash.getOrDefault("image", EMPTY), null,
					text(hash, "seed"), worker, expected);
		}
		return read(status, MediaType.APPLICATION_PROBLEM_JSON, hash.getOrDefault("problem", EMPTY),
				text(hash, "retryAfter"), null, worker, expected);
	}

	private static String text(Map<String, byte[]> hash, String field) {
		byte[] value = hash.get(field);
		return (value != null) ? new String(value, StandardCharsets.UTF_8) : null;
	}

	private static Integer statusOf(String text) {
		try {
			return (text != null) ? Integer.valueOf(text.trim()) : null;
		}
		catch (NumberFormatException ex) {
			return null;
		}
	}

	private static MediaType mediaTypeOf(String text) {
		try {
			return (text != null) ? MediaType.parseMediaType(text) : null;
		}
		catch (InvalidMediaTypeException ex) {
			return null;
		}
	}

	/**
	 * The problem for a worker that refused the API's credentials.
	 * @param status 401 or 403
	 * @return a 502 {@code worker-auth-failed}
	 */
	static ApiProblem authFailed(int status) {
		return ApiProblem.of(ProblemTypes.WORKER_AUTH_FAILED, 502, "Worker rejected the API's credentials",
				"The worker refused this API's token (HTTP " + status + "). The operator must set WORKER_TOKEN "
						+ "to the same value on the API and the worker.");
	}

	private static WorkerImage checked(MediaType declared, ByteBuf bytes, String seed, String worker,
			MediaType expected) {
		if (bytes.readableBytes() == 0) {
			throw badResponse("The worker answered 200 with an empty body instead of an image.");
		}
		MediaType actual = ImageSignatures.sniff(bytes);
		if (actual == null) {
			throw badResponse("The worker answered 200 but the body is not a PNG or JPEG image"
					+ ((declared != null) ? " (declared " + declared + ")." : "."));
		}
		if (declared == null || !declared.equalsTypeAndSubtype(actual)) {
			throw badResponse("The worker declared " + ((declared != null) ? declared : "no Content-Type")
					+ " but sent " + actual + " bytes.");
		}
		if (!actual.equalsTypeAndSubtype(expected)) {
			throw badResponse("The worker sent " + actual + " although " + expected + " was requested.");
		}
		return new WorkerImage(bytes, actual, seedOf(seed), worker);
	}

	private static Long seedOf(String header) {
		if (header == null) {
			return null;
		}
		try {
			long seed = Long.parseLong(header.trim());
			return (seed >= 0 && seed <= Integer.MAX_VALUE) ? seed : null;
		}
		catch (NumberFormatException ex) {
			return null;
		}
	}

	private ApiProblem problem(int status, MediaType declared, byte[] bytes, String retryAfterHeader) {
		JsonNode problem = null;
		if (declared != null && bytes.length > 0 && (declared.isCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
				|| declared.isCompatibleWith(MediaType.APPLICATION_JSON))) {
			try {
				JsonNode node = this.jsonMapper.readTree(bytes);
				if (node.isObject() && node.path("type").isString() && !node.path("type").stringValue().isBlank()) {
					problem = node;
				}
			}
			catch (JacksonException ex) {
				// Unreadable: reported below as a bad worker response.
			}
		}
		if (problem == null) {
			return badResponse("The worker answered HTTP " + status + " without a problem description.");
		}
		String type = problem.path("type").stringValue();
		String title = problem.path("title").isString() ? problem.path("title").stringValue() : "Worker error";
		String detail = problem.path("detail").isString() ? problem.path("detail").stringValue() : title;
		if (status == 400) {
			// The API validates every field by the worker's own rules: a worker 400 means the API let bad
			// input through (or the two disagree, e.g. on MAX_PROMPT_LENGTH). A bug to fix, not the caller's.
			logger.error("Worker rejected a request the API had validated: HTTP 400 {}: {}", type, detail);
			return badResponse("The worker refused a request this API accepted; the operator has been alerted "
					+ "through the log. Quote the request id when reporting it.");
		}
		if (!PASSED_ON.contains(status)) {
			return badResponse("The worker answered HTTP " + status + " (" + type + "): " + detail);
		}
		ApiProblem passedOn = ApiProblem.of(type, status, title, detail);
		Duration retryAfter = retryAfterOf(retryAfterHeader);
		if (retryAfter == null && (status == 503 || status == 429)) {
			retryAfter = this.defaultRetryAfter;
		}
		return (retryAfter != null) ? passedOn.withRetryAfter(retryAfter) : passedOn;
	}

	private static Duration retryAfterOf(String header) {
		if (header == null) {
			return null;
		}
		try {
			long seconds = Long.parseLong(header.trim());
			return (seconds >= 0) ? Duration.ofSeconds(Math.max(1, seconds)) : null;
		}
		catch (NumberFormatException ex) {
			return null;
		}
	}

	/**
	 * Reads one progress event (the direct mode's {@code GET /progress} event data, or a Redis {@code progress}
	 * message, which has the same fields).
	 * @param node the event's JSON
	 * @return the event, or {@code null} when it has no phase (progress is advisory: such an event is skipped)
	 */
	static WorkerProgress progress(JsonNode node) {
		if (!node.path("phase").isString()) {
			return null;
		}
		return new WorkerProgress(node.path("phase").stringValue(), intOrNull(node.path("queuePosition")),
				intOrNull(node.path("upstreamQueuePosition")));
	}

	private static Integer intOrNull(JsonNode node) {
		return (node.isIntegralNumber() && node.canConvertToInt() && node.intValue() >= 0) ? node.intValue() : null;
	}

	/**
	 * The API's problem for an answer it cannot use.
	 * @param detail what was wrong with it
	 * @return a 502 {@code bad-worker-response}
	 */
	public static ApiProblem badResponse(String detail) {
		return ApiProblem.of(ProblemTypes.BAD_WORKER_RESPONSE, 502, "Bad worker response", detail);
	}

}

package dev.imagegen.api.jobs;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Set;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import dev.imagegen.api.problem.ApiProblem;
import dev.imagegen.api.problem.ProblemTypes;

/**
 * Reads a worker's result hash {@code P:result:{gen}} (docs/architecture.md, "The wire": {@code status},
 * {@code contentType}, {@code seed}, {@code image}, {@code problem}, {@code retryAfter}) for a job whose own replica
 * is gone, with the rules the API applies to the same answer over HTTP: a 200 with an image is the image; the
 * worker's problems of status 422, 429, 502, 503 and 504 are passed on; anything else is a bad worker response.
 */
final class WorkerResultHash {

	/** Worker problems passed on with their own status, type and detail (as over HTTP). */
	private static final Set<Integer> PASSED_ON = Set.of(422, 429, 502, 503, 504);

	private final JsonMapper jsonMapper;

	private final Duration defaultRetryAfter;

	/**
	 * @param jsonMapper reads the problem
	 * @param defaultRetryAfter the {@code Retry-After} of a 429 or 503 that carries none (as over HTTP)
	 */
	WorkerResultHash(JsonMapper jsonMapper, Duration defaultRetryAfter) {
		this.jsonMapper = jsonMapper;
		this.defaultRetryAfter = defaultRetryAfter;
	}

	/**
	 * What a result hash says.
	 * @param hash its fields
	 * @return the image or the problem
	 */
	Outcome read(Map<String, byte[]> hash) {
		int status = number(hash, "status", -1L).intValue();
		if (status == 200) {
			byte[] image = hash.get(JobHash.IMAGE);
			String contentType = text(hash, JobHash.CONTENT_TYPE);
			Long seed = number(hash, JobHash.SEED, null);
			if (image == null || image.length == 0 || contentType == null || seed == null) {
				return new Outcome(null, null, null, bad("The worker stored a result without an image, type or seed."));
			}
			return new Outcome(image, contentType, seed, null);
		}
		JsonNode problem = null;
		String body = text(hash, "problem");
		if (body != null) {
			try {
				JsonNode node = this.jsonMapper.readTree(body);
				if (node.isObject() && node.path("type").isString() && !node.path("type").stringValue().isBlank()) {
					problem = node;
				}
			}
			catch (JacksonException ex) {
				// Unreadable: a bad worker response, below.
			}
		}
		if (problem == null) {
			return new Outcome(null, null, null, bad("The worker stored status " + status + " without a problem."));
		}
		String type = problem.path("type").stringValue();
		String title = problem.path("title").isString() ? problem.path("title").stringValue() : "Worker error";
		String detail = problem.path("detail").isString() ? problem.path("detail").stringValue() : title;
		if (!PASSED_ON.contains(status)) {
			return new Outcome(null, null, null, bad("The worker answered HTTP " + status + " (" + type + "): " + detail));
		}
		ApiProblem passedOn = ApiProblem.of(type, status, title, detail);
		Long seconds = number(hash, "retryAfter", null);
		Duration retryAfter = (seconds != null && seconds >= 0) ? Duration.ofSeconds(Math.max(1, seconds))
				: ((status == 503 || status == 429) ? this.defaultRetryAfter : null);
		return new Outcome(null, null, null, (retryAfter != null) ? passedOn.withRetryAfter(retryAfter) : passedOn);
	}

	private static ApiProblem bad(String detail) {
		return ApiProblem.of(ProblemTypes.BAD_WORKER_RESPONSE, 502, "Bad worker response", detail);
	}

	private static String text(Map<String, byte[]> hash, String field) {
		byte[] value = hash.get(field);
		return (value != null) ? new String(value, StandardCharsets.UTF_8) : null;
	}

	private static Long number(Map<String, byte[]> hash, String field, Long fallback) {
		String value = text(hash, field);
		if (value == null) {
			return fallback;
		}
		try {
			return Long.valueOf(value.trim());
		}
		catch (NumberFormatException ex) {
			return fallback;
		}
	}

	/**
	 * A result: an image ({@code image}, {@code contentType}, {@code seed}) or a problem.
	 *
	 * @param image the image bytes, or {@code null}
	 * @param contentType the image's media type, or {@code null}
	 * @param seed the seed the worker used, or {@code null}
	 * @param problem the problem, or {@code null} for an image
	 */
	record Outcome(byte[] image, String contentType, Long seed, ApiProblem problem) {
	}

}

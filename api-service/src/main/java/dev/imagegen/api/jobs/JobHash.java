package dev.imagegen.api.jobs;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import tools.jackson.databind.json.JsonMapper;

import dev.imagegen.api.generate.GenerateRequest;
import dev.imagegen.api.generate.ImageFormat;
import dev.imagegen.api.generate.ImageGenerator;
import dev.imagegen.api.generate.Shape;
import dev.imagegen.api.problem.ApiProblem;

/**
 * The fields of a job's hash {@code P:job:{id}} and of the messages on {@code P:jobevents:{id}}
 * (docs/architecture.md, "Jobs in Redis"), and the states a replica other than the owner writes (a cancellation,
 * the end of a job whose replica is gone). One codec for every replica, so that what one writes the others read.
 */
final class JobHash {

	static final String JSON = "json";

	static final String STATUS = "status";

	static final String TERMINAL = "terminal";

	static final String VERSION = "version";

	static final String OWNER = "owner";

	static final String GEN = "gen";

	static final String DEADLINE = "deadline";

	static final String FINGERPRINT = "fingerprint";

	static final String HIT = "hit";

	static final String AGE = "age";

	static final String RETRY_AFTER = "retryAfter";

	static final String IMAGE = "image";

	static final String CONTENT_TYPE = "contentType";

	static final String SEED = "seed";

	private final JsonMapper jsonMapper;

	JobHash(JsonMapper jsonMapper) {
		this.jsonMapper = jsonMapper;
	}

	/**
	 * The hash fields of an owner's snapshot (everything but the image).
	 * @param snapshot the state
	 * @param owner the replica that runs the job
	 * @return field name to value
	 */
	Map<String, String> fields(Job.Snapshot snapshot, String owner) {
		Map<String, String> fields = base(snapshot.json(), snapshot.status(), snapshot.version());
		fields.put(OWNER, owner);
		if (snapshot.generation() != null) {
			fields.put(GEN, snapshot.generation());
			fields.put(DEADLINE, Long.toString(snapshot.deadline().toEpochMilli()));
		}
		ImageGenerator.Generated result = snapshot.result();
		if (result != null) {
			fields.put(FINGERPRINT, result.fingerprint());
			fields.put(HIT, Boolean.toString(result.hit()));
			fields.put(AGE, Long.toString(result.age().toSeconds()));
		}
		if (snapshot.error() != null && snapshot.error().retryAfter() != null) {
			fields.put(RETRY_AFTER, Long.toString(snapshot.error().retryAfter().toSeconds()));
		}
		return fields;
	}

	/**
	 * The status, JSON and version fields of a state.
	 * @param json the job's JSON
	 * @param status its status
	 * @param version its version
	 * @return field name to value, in an order-keeping map the caller may add to
	 */
	Map<String, String> base(Map<String, Object> json, JobStatus status, long version) {
		Map<String, String> fields = new LinkedHashMap<>();
		fields.put(JSON, this.jsonMapper.writeValueAsString(json));
		fields.put(STATUS, status.wireName());
		fields.put(TERMINAL, status.terminal() ? "1" : "0");
		fields.put(VERSION, Long.toString(version));
		return fields;
	}

	/**
	 * The image fields of {@code P:jobimage:{id}} (the same names as the worker's result hash).
	 * @param result the image
	 * @return field name to bytes
	 */
	static Map<String, byte[]> imageFields(ImageGenerator.Generated result) {
		Map<String, byte[]> fields = new LinkedHashMap<>();
		fields.put(IMAGE, result.image().bytes());
		fields.put(CONTENT_TYPE, utf8(result.image().mediaType().toString()));
		fields.put(SEED, utf8(Long.toString(result.image().seed())));
		return fields;
	}

	/**
	 * The message published on {@code P:jobevents:{id}} for a state.
	 * @param json the job's JSON
	 * @param version its version
	 * @param retryAfter a failed job's {@code Retry-After}, else {@code null}
	 * @return {@code {"version":…,"retryAfter":…,"job":{…}}}
	 */
	String message(Map<String, Object> json, long version, Duration retryAfter) {
		Map<String, Object> message = new LinkedHashMap<>();
		message.put(VERSION, version);
		message.put(RETRY_AFTER, (retryAfter != null) ? retryAfter.toSeconds() : null);
		message.put("job", json);
		return this.jsonMapper.writeValueAsString(message);
	}

	/**
	 * A job's view from its hash.
	 * @param id the id
	 * @param fields the hash's fields (text)
	 * @return the view
	 */
	JobView view(String id, Map<String, String> fields) {
		String retryAfter = fields.get(RETRY_AFTER);
		return view(id, json(fields.get(JSON)), Long.parseLong(fields.get(VERSION)),
				(retryAfter != null) ? Long.valueOf(retryAfter) : null);
	}

	/**
	 * A job's view from a message of its channel.
	 * @param id the id
	 * @param message the message text
	 * @return the view
	 */
	@SuppressWarnings("unchecked")
	JobView viewOfMessage(String id, String message) {
		Map<String, Object> parsed = json(message);
		Object retryAfter = parsed.get(RETRY_AFTER);
		return view(id, (Map<String, Object>) parsed.get("job"), ((Number) parsed.get(VERSION)).longValue(),
				(retryAfter instanceof Number number) ? number.longValue() : null);
	}

	@SuppressWarnings("unchecked")
	private Map<String, Object> json(String text) {
		return this.jsonMapper.readValue(text, LinkedHashMap.class);
	}

	@SuppressWarnings("unchecked")
	private static JobView view(String id, Map<String, Object> json, long version, Long retryAfterSeconds) {
		JobStatus status = JobStatus.valueOf(((String) json.get("status")).toUpperCase(java.util.Locale.ROOT));
		Map<String, Object> parameters = (Map<String, Object>) json.get("parameters");
		GenerateRequest request = new GenerateRequest((String) parameters.get("prompt"),
				(String) parameters.get("negative_prompt"), ((Number) parameters.get("seed")).longValue(),
				((Number) parameters.get("guidance_scale")).doubleValue(), Shape.parse((String) parameters.get("shape")),
				ImageFormat.parse((String) parameters.get("format")));
		ApiProblem error = null;
		if (json.get("error") instanceof Map<?, ?> problem) {
			error = ApiProblem.of((String) problem.get("type"), ((Number) problem.get("status")).intValue(),
					(String) problem.get("title"), (String) problem.get("detail"));
			if (retryAfterSeconds != null) {
				error = error.withRetryAfter(Duration.ofSeconds(retryAfterSeconds));
			}
		}
		return new JobView(id, status, json, request, error, version);
	}

	/**
	 * The JSON of a job that a replica other than its owner ends: as {@link Job} would show it at its end.
	 * @param job the job's last state
	 * @param status the terminal status
	 * @param now the end
	 * @param seed a succeeded job's seed, else {@code null}
	 * @param problem a failed job's problem, else {@code null}
	 * @return the new JSON
	 */
	static Map<String, Object> ended(JobView job, JobStatus status, Instant now, Long seed, ApiProblem problem) {
		Map<String, Object> json = new LinkedHashMap<>(job.json());
		json.put("status", status.wireName());
		if (status == JobStatus.SUCCEEDED) {
			json.put("phase", "done");
		}
		json.put("queuePosition", null);
		json.put("upstreamQueuePosition", null);
		json.put("finishedAt", now.toString());
		if (seed != null) {
			json.put("seed", seed);
			json.put("image", "/jobs/" + job.id() + "/image");
		}
		if (problem != null) {
			Map<String, Object> error = new LinkedHashMap<>();
			error.put("type", problem.type());
			error.put("title", problem.title());
			error.put("status", problem.status());
			error.put("detail", problem.detail());
			error.put("instance", "/jobs/" + job.id());
			error.put("requestId", null);
			json.put("error", error);
		}
		return json;
	}

	/**
	 * Text fields of a hash read as bytes (the image field is left out: it is binary).
	 * @param hash the hash
	 * @return field name to text
	 */
	static Map<String, String> text(Map<String, byte[]> hash) {
		Map<String, String> fields = new LinkedHashMap<>();
		hash.forEach((field, value) -> {
			if (!IMAGE.equals(field)) {
				fields.put(field, new String(value, StandardCharsets.UTF_8));
			}
		});
		return fields;
	}

	static byte[] utf8(String text) {
		return text.getBytes(StandardCharsets.UTF_8);
	}

	/**
	 * Script arguments as bytes.
	 * @param values strings or byte arrays
	 * @return the arguments
	 */
	static List<byte[]> args(List<Object> values) {
		return values.stream().map((value) -> (value instanceof byte[] bytes) ? bytes : utf8(String.valueOf(value))).toList();
	}

}

package dev.imagegen.worker.redis;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

import tools.jackson.databind.json.JsonMapper;

import dev.imagegen.worker.generate.Generations;
import dev.imagegen.worker.job.ProgressEvent;
import dev.imagegen.worker.problem.ProblemWriter;
import dev.imagegen.worker.problem.WorkerException;

/**
 * What the worker writes to Redis, exactly as docs/architecture.md ("The wire") fixes it: the
 * {@code P:result:{gen}} hash and the JSON messages on {@code P:events:{gen}}. Only formatting, no I/O.
 */
final class WireFormat {

	/** The path a stream entry stands for, the {@code instance} of its problems. */
	static final String INSTANCE = "/generate";

	private final JsonMapper json;

	private final String worker;

	/**
	 * @param json the mapper
	 * @param worker this worker's id, named in every result and message
	 */
	WireFormat(JsonMapper json, String worker) {
		this.json = json;
		this.worker = worker;
	}

	/**
	 * The result hash of an image: what {@code POST /generate} answers with 200.
	 * @param image the image
	 * @return the fields
	 */
	Map<String, byte[]> imageResult(Generations.Image image) {
		Map<String, byte[]> fields = new LinkedHashMap<>();
		fields.put("status", bytes("200"));
		fields.put("worker", bytes(this.worker));
		fields.put("image", image.bytes());
		fields.put("contentType", bytes(image.contentType()));
		fields.put("seed", bytes(Long.toString(image.upstream().seed())));
		return fields;
	}

	/**
	 * The result hash of a problem: the status, the problem+json body and {@code Retry-After} that
	 * {@code POST /generate} would answer.
	 * @param failure the problem
	 * @param requestId the entry's request id
	 * @param traceId the entry's trace id, or null
	 * @return the fields
	 */
	Map<String, byte[]> problemResult(WorkerException failure, String requestId, String traceId) {
		Map<String, byte[]> fields = new LinkedHashMap<>();
		fields.put("status", bytes(Integer.toString(failure.problem().status().value())));
		fields.put("worker", bytes(this.worker));
		fields.put("problem", ProblemWriter.json(ProblemWriter.body(failure, INSTANCE, requestId, traceId)));
		if (failure.retryAfter() != null) {
			fields.put("retryAfter", bytes(Long.toString(ProblemWriter.retryAfterSeconds(failure.retryAfter()))));
		}
		return fields;
	}

	/**
	 * A progress message: the direct mode's progress event plus {@code type} and {@code worker}.
	 * @param event the event
	 * @return the JSON
	 */
	String progress(ProgressEvent event) {
		Map<String, Object> message = new LinkedHashMap<>();
		message.put("type", "progress");
		message.put("requestId", event.requestId());
		message.put("phase", event.phase());
		message.put("queuePosition", event.queuePosition());
		message.put("upstreamQueuePosition", event.upstreamQueuePosition());
		message.put("worker", this.worker);
		return this.json.writeValueAsString(message);
	}

	/**
	 * The one message after the result is stored.
	 * @param status the result's HTTP status
	 * @return the JSON
	 */
	String result(int status) {
		Map<String, Object> message = new LinkedHashMap<>();
		message.put("type", "result");
		message.put("status", status);
		message.put("worker", this.worker);
		return this.json.writeValueAsString(message);
	}

	private static byte[] bytes(String value) {
		return value.getBytes(StandardCharsets.UTF_8);
	}

}

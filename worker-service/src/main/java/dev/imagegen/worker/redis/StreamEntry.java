package dev.imagegen.worker.redis;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import dev.imagegen.worker.problem.Problem;
import dev.imagegen.worker.problem.WorkerException;
import dev.imagegen.worker.problem.WorkerException.FieldError;
import dev.imagegen.worker.request.RequestIdFilter;

/**
 * One entry of the work stream {@code P:work} as the API adds it (docs/architecture.md, "The wire"): {@code gen},
 * {@code requestId}, {@code request} (the body of {@code POST /generate}), {@code deadline} (epoch ms),
 * {@code submittedAt} (epoch ms) and an optional {@code traceparent}.
 *
 * @param id the stream entry id
 * @param gen the generation id, which names its result, channel and cancel keys
 * @param requestId the API's request id (a fresh one when the entry's is missing or unsafe, as over HTTP)
 * @param request the request body, checked later by the same parser as {@code POST /generate}
 * @param deadline the caller's absolute deadline in epoch ms, or null when missing or malformed
 * @param traceparent the W3C trace context, or null
 */
record StreamEntry(String id, String gen, String requestId, byte[] request, Long deadline, String traceparent) {

	// Names Redis keys: hex as the API makes it, a little looser so a foreign writer cannot break key names.
	private static final Pattern GEN = Pattern.compile("[A-Za-z0-9_-]{1,64}");

	private static final Pattern TRACEPARENT = Pattern.compile("[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}");

	/**
	 * Reads an entry's fields.
	 * @param id the entry id
	 * @param fields the fields as Redis holds them
	 * @return the entry; {@link #gen()} is null when the entry cannot be answered at all
	 */
	static StreamEntry of(String id, Map<String, byte[]> fields) {
		String gen = text(fields.get("gen"));
		if (gen != null && !GEN.matcher(gen).matches()) {
			gen = null;
		}
		String requestId = RequestIdFilter.idFrom(text(fields.get("requestId")));
		Long deadline;
		try {
			String value = text(fields.get("deadline"));
			deadline = (value != null) ? Long.valueOf(value.trim()) : null;
		}
		catch (NumberFormatException ex) {
			deadline = null;
		}
		String traceparent = text(fields.get("traceparent"));
		if (traceparent != null && !TRACEPARENT.matcher(traceparent).matches()) {
			traceparent = null;
		}
		return new StreamEntry(id, gen, requestId, fields.get("request"), deadline, traceparent);
	}

	/**
	 * The caller's remaining budget.
	 * @param nowEpochMillis the time now
	 * @return the budget, zero or negative once the deadline has passed
	 * @throws WorkerException {@code invalid-request} naming {@code deadline} when the field is missing or
	 * malformed (the API always sends it)
	 */
	Duration remaining(long nowEpochMillis) {
		if (this.deadline == null) {
			throw new WorkerException(Problem.INVALID_REQUEST, "The entry's deadline is invalid.", null,
					List.of(new FieldError("deadline", "must be the deadline in epoch milliseconds")));
		}
		return Duration.ofMillis(this.deadline - nowEpochMillis);
	}

	/**
	 * The trace id of the entry's trace context, which the answer's problem names as HTTP's does.
	 * @return 32 hex characters, or null
	 */
	String traceId() {
		if (this.traceparent == null) {
			return null;
		}
		java.util.regex.Matcher matcher = TRACEPARENT.matcher(this.traceparent);
		return matcher.matches() ? matcher.group(1) : null;
	}

	private static String text(byte[] value) {
		return (value != null) ? new String(value, StandardCharsets.UTF_8) : null;
	}

}

package dev.imagegen.worker.problem;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.http.HttpStatus;

import dev.imagegen.worker.observability.Traces;
import dev.imagegen.worker.request.RequestIdFilter;

/**
 * Writes an RFC 9457 problem straight to a servlet response, for the places outside Spring MVC's exception
 * handling: filters, the {@code /error} page and Tomcat's own error reports.
 */
public final class ProblemWriter {

	/** Type of problems that are plain HTTP statuses (RFC 9457 section 4.2.1). */
	public static final String ABOUT_BLANK = "about:blank";

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private ProblemWriter() {
	}

	/**
	 * Writes a problem of the worker's own kinds.
	 * @param request the request
	 * @param response the response, not yet committed
	 * @param problem the kind
	 * @param detail what happened, for the caller
	 * @param errors per-field messages
	 * @throws IOException when the client has gone
	 */
	public static void write(HttpServletRequest request, HttpServletResponse response, Problem problem, String detail,
			List<WorkerException.FieldError> errors) throws IOException {
		Map<String, Object> body = body(problem.type().toString(), problem.title(), problem.status().value(), detail,
				request.getRequestURI(), requestId(request));
		withTraceId(body, request);
		if (!errors.isEmpty()) {
			body.put("errors", errors.stream().map((e) -> Map.of("parameter", e.parameter(), "message", e.message())).toList());
		}
		send(response, problem.status().value(), body);
	}

	/**
	 * Writes a problem that is a plain HTTP status ({@code about:blank}).
	 * @param request the request
	 * @param response the response, not yet committed
	 * @param status the status
	 * @param detail what happened, for the caller
	 * @throws IOException when the client has gone
	 */
	public static void write(HttpServletRequest request, HttpServletResponse response, HttpStatus status, String detail)
			throws IOException {
		send(response, status.value(), withTraceId(body(ABOUT_BLANK, status.getReasonPhrase(), status.value(), detail,
				request.getRequestURI(), requestId(request)), request));
	}

	/**
	 * The body of a problem as a map, in the member order of RFC 9457.
	 * @param type the type URI
	 * @param title the title
	 * @param status the status
	 * @param detail the detail
	 * @param instance the request path, or null
	 * @param requestId the request id, or null
	 * @return a mutable map
	 */
	public static Map<String, Object> body(String type, String title, int status, String detail, String instance,
			String requestId) {
		Map<String, Object> body = new LinkedHashMap<>();
		body.put("type", type);
		body.put("title", title);
		body.put("status", status);
		body.put("detail", detail);
		if (instance != null) {
			body.put("instance", instance);
		}
		body.put("requestId", requestId);
		return body;
	}

	/**
	 * The body {@link ProblemHandler} answers for a worker failure, for an answer that has no HTTP request (the
	 * Redis mode stores it as the result of a stream entry): the same members in the same order.
	 * @param failure the failure
	 * @param instance the path the request would have had, e.g. {@code /generate}
	 * @param requestId the request id
	 * @param traceId the trace id, or null
	 * @return a mutable map
	 */
	public static Map<String, Object> body(WorkerException failure, String instance, String requestId,
			String traceId) {
		Problem problem = failure.problem();
		Map<String, Object> body = body(problem.type().toString(), problem.title(), problem.status().value(),
				failure.getMessage(), instance, requestId);
		if (traceId != null) {
			body.put("traceId", traceId);
		}
		if (!failure.errors().isEmpty()) {
			body.put("errors", failure.errors()
				.stream()
				.map((e) -> Map.of("parameter", e.parameter(), "message", e.message()))
				.toList());
		}
		if (failure.retryAfter() != null) {
			body.put("retryAfterSeconds", retryAfterSeconds(failure.retryAfter()));
		}
		return body;
	}

	/**
	 * A retry hint in whole seconds, as {@code Retry-After} carries it: rounded up, at least 1.
	 * @param retryAfter the hint
	 * @return the seconds
	 */
	public static long retryAfterSeconds(java.time.Duration retryAfter) {
		return Math.max(1, (retryAfter.toMillis() + 999) / 1000);
	}

	/**
	 * Adds the request's trace id, which finds the request in the tracing backend and in the logs of both
	 * services (docs/operations.md, "Traces").
	 * @param body a problem body
	 * @param request the request, or null
	 * @return the body
	 */
	public static Map<String, Object> withTraceId(Map<String, Object> body, HttpServletRequest request) {
		String traceId = Traces.traceId(request);
		if (traceId != null) {
			body.put("traceId", traceId);
		}
		return body;
	}

	/**
	 * Serialises a problem body.
	 * @param body the body
	 * @return UTF-8 JSON
	 */
	public static byte[] json(Map<String, Object> body) {
		return JSON.writeValueAsString(body).getBytes(StandardCharsets.UTF_8);
	}

	private static void send(HttpServletResponse response, int status, Map<String, Object> body) throws IOException {
		byte[] bytes = json(body);
		response.setStatus(status);
		response.setContentType("application/problem+json");
		response.setContentLength(bytes.length);
		response.getOutputStream().write(bytes);
	}

	private static String requestId(HttpServletRequest request) {
		String id = RequestIdFilter.idOf(request);
		return (id != null) ? id : RequestIdFilter.idFrom(request.getHeader(RequestIdFilter.HEADER));
	}

}

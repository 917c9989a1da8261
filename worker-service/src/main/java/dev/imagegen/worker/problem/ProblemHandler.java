package dev.imagegen.worker.problem;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import jakarta.servlet.http.HttpServletRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.NativeWebRequest;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;

import dev.imagegen.worker.observability.Traces;
import dev.imagegen.worker.request.RequestIdFilter;

/**
 * The worker's one exception handler: every failure becomes RFC 9457 problem+json with a stable type,
 * the request id, and {@code Retry-After} where waiting helps.
 */
@RestControllerAdvice
public class ProblemHandler extends ResponseEntityExceptionHandler {

	private static final Logger log = LoggerFactory.getLogger(ProblemHandler.class);

	/**
	 * Answers a worker failure.
	 * @param ex the failure
	 * @param request the request
	 * @return the problem response
	 */
	@ExceptionHandler(WorkerException.class)
	public ResponseEntity<Object> handleWorker(WorkerException ex, HttpServletRequest request) {
		return problem(ex.problem(), ex.getMessage(), ex.retryAfter(), ex.errors(), request);
	}

	/**
	 * Answers anything unexpected without leaking internals.
	 * @param ex the failure
	 * @param request the request
	 * @return the problem response
	 */
	@ExceptionHandler(Exception.class)
	public ResponseEntity<Object> handleUnexpected(Exception ex, HttpServletRequest request) {
		if (ex instanceof IllegalStateException && request != null && request.getRequestURI() != null
				&& request.getRequestURI().startsWith("/actuator/health/")) {
			// Boot's health endpoint asserts instead of answering 404 for a path below a component that has no
			// children (/actuator/health/nope/x, /actuator/health/../env): it names nothing that exists.
			log.debug("No health component at {}: {}", request.getRequestURI(), ex.getMessage());
			return plain(HttpStatus.NOT_FOUND, "No health component at this path.", request);
		}
		log.error("Unexpected failure", ex);
		return problem(Problem.INTERNAL_ERROR, "The worker failed unexpectedly; see its log.", null, List.of(), request);
	}

	@Override
	protected ResponseEntity<Object> handleHttpMessageNotReadable(HttpMessageNotReadableException ex,
			HttpHeaders headers, HttpStatusCode status, WebRequest request) {
		return problem(Problem.INVALID_REQUEST, "The body is not a readable JSON object.", null, List.of(),
				nativeRequest(request));
	}

	@Override
	protected ResponseEntity<Object> handleHttpMediaTypeNotSupported(HttpMediaTypeNotSupportedException ex,
			HttpHeaders headers, HttpStatusCode status, WebRequest request) {
		return problem(Problem.INVALID_REQUEST, "The body must be application/json.", null, List.of(),
				nativeRequest(request));
	}

	@Override
	protected ResponseEntity<Object> createResponseEntity(Object body, HttpHeaders headers, HttpStatusCode statusCode,
			WebRequest request) {
		// Spring's own MVC failures (404, 405...) keep their status but carry every member of the contract: an
		// explicit "about:blank" type (Spring omits it) and the request id.
		if (body instanceof ProblemDetail detail) {
			HttpServletRequest servletRequest = nativeRequest(request);
			Map<String, Object> problem = ProblemWriter.body(
					(detail.getType() != null) ? detail.getType().toString() : ProblemWriter.ABOUT_BLANK,
					(detail.getTitle() != null) ? detail.getTitle() : HttpStatus.valueOf(statusCode.value()).getReasonPhrase(),
					statusCode.value(), (detail.getDetail() != null) ? detail.getDetail() : "The request failed.",
					(servletRequest != null) ? servletRequest.getRequestURI() : null,
					(servletRequest != null) ? RequestIdFilter.idOf(servletRequest) : null);
			ProblemWriter.withTraceId(problem, servletRequest);
			HttpHeaders merged = new HttpHeaders();
			merged.addAll(headers);
			merged.setContentType(MediaType.APPLICATION_PROBLEM_JSON);
			return new ResponseEntity<>(problem, merged, statusCode);
		}
		return super.createResponseEntity(body, headers, statusCode, request);
	}

	private static ResponseEntity<Object> plain(HttpStatus status, String detail, HttpServletRequest request) {
		return ResponseEntity.status(status)
			.contentType(MediaType.APPLICATION_PROBLEM_JSON)
			.body(ProblemWriter.withTraceId(ProblemWriter.body(ProblemWriter.ABOUT_BLANK, status.getReasonPhrase(),
					status.value(), detail, request.getRequestURI(), RequestIdFilter.idOf(request)), request));
	}

	private static HttpServletRequest nativeRequest(WebRequest request) {
		return (request instanceof NativeWebRequest nativeRequest)
				? nativeRequest.getNativeRequest(HttpServletRequest.class) : null;
	}

	static ResponseEntity<Object> problem(Problem problem, String detail, Duration retryAfter,
			List<WorkerException.FieldError> errors, HttpServletRequest request) {
		ProblemDetail body = ProblemDetail.forStatusAndDetail(problem.status(), detail);
		body.setType(problem.type());
		body.setTitle(problem.title());
		String requestId = null;
		if (request != null) {
			body.setInstance(URI.create(request.getRequestURI()));
			requestId = RequestIdFilter.idOf(request);
		}
		body.setProperty("requestId", requestId);
		String traceId = Traces.traceId(request);
		if (traceId != null) {
			body.setProperty("traceId", traceId);
		}
		if (!errors.isEmpty()) {
			body.setProperty("errors", errors.stream()
				.map((e) -> Map.of("parameter", e.parameter(), "message", e.message()))
				.toList());
		}
		ResponseEntity.BodyBuilder response = ResponseEntity.status(problem.status())
			.contentType(MediaType.APPLICATION_PROBLEM_JSON);
		if (retryAfter != null) {
			long seconds = ProblemWriter.retryAfterSeconds(retryAfter);
			response.header(HttpHeaders.RETRY_AFTER, Long.toString(seconds));
			body.setProperty("retryAfterSeconds", seconds);
		}
		if (requestId != null) {
			response.header(RequestIdFilter.HEADER, requestId);
		}
		return response.body(body);
	}

}

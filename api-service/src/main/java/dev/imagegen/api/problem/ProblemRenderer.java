package dev.imagegen.api.problem;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import tools.jackson.databind.json.JsonMapper;

import dev.imagegen.api.context.RequestContext;
import dev.imagegen.api.observability.Traces;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.stereotype.Component;
import org.springframework.web.server.MethodNotAllowedException;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.ServerWebInputException;

/**
 * The API's one place that turns a failure into a response: RFC 9457 {@code application/problem+json}
 * with {@code type}, {@code title}, {@code status}, {@code detail}, {@code instance}, {@code requestId}
 * (and {@code errors} for validation), or the same problem drawn as a PNG when the client prefers images.
 */
@Component
public class ProblemRenderer {

	private static final Logger logger = LoggerFactory.getLogger(ProblemRenderer.class);

	private final JsonMapper jsonMapper;

	private final ErrorImageRenderer images = new ErrorImageRenderer();

	/**
	 * Creates the renderer.
	 * @param jsonMapper the application's JSON mapper
	 */
	public ProblemRenderer(JsonMapper jsonMapper) {
		this.jsonMapper = jsonMapper;
	}

	/**
	 * Writes the problem for a failure as the response.
	 * @param exchange the current exchange
	 * @param failure what went wrong
	 * @return completion of the write; the original error when the response is already committed
	 */
	public Mono<Void> render(ServerWebExchange exchange, Throwable failure) {
		ServerHttpResponse response = exchange.getResponse();
		if (response.isCommitted()) {
			return Mono.error(failure);
		}
		ApiProblem problem = toProblem(exchange, failure);
		exchange.getAttributes().put(RequestContext.PROBLEM_TYPE, problem.type());
		String requestId = RequestContext.requestId(exchange);
		response.setStatusCode(HttpStatusCode.valueOf(problem.status()));
		HttpHeaders headers = response.getHeaders();
		// A success response may have been half prepared; none of its representation headers apply.
		headers.remove(HttpHeaders.ETAG);
		headers.remove(HttpHeaders.CONTENT_DISPOSITION);
		headers.remove("X-Seed");
		headers.setCacheControl("no-store");
		headers.set(HttpHeaders.VARY, HttpHeaders.ACCEPT);
		headers.set(RequestContext.REQUEST_ID_HEADER, requestId);
		if (problem.retryAfter() != null) {
			headers.set(HttpHeaders.RETRY_AFTER, Long.toString(retryAfterSeconds(problem.retryAfter())));
		}
		if (failure instanceof MethodNotAllowedException notAllowed) {
			headers.setAllow(notAllowed.getSupportedMethods());
		}
		Mono<byte[]> body;
		if (AcceptPreference.prefersImage(exchange.getRequest().getHeaders().get(HttpHeaders.ACCEPT))) {
			// Drawing and PNG encoding take milliseconds of CPU (more on first use, when fonts load):
			// keep them off the event loop.
			body = Mono.fromCallable(() -> this.images.render(problem, requestId)).subscribeOn(Schedulers.boundedElastic());
			headers.setContentType(MediaType.IMAGE_PNG);
		}
		else {
			body = Mono.just(this.jsonMapper.writeValueAsBytes(body(problem, exchange, requestId)));
			headers.setContentType(MediaType.APPLICATION_PROBLEM_JSON);
		}
		return body.flatMap((bytes) -> {
			headers.setContentLength(bytes.length);
			if (exchange.getRequest().getMethod() == HttpMethod.HEAD) {
				return response.setComplete();
			}
			return response.writeWith(Mono.just(response.bufferFactory().wrap(bytes)));
		});
	}

	private static long retryAfterSeconds(Duration retryAfter) {
		long seconds = retryAfter.toSeconds() + ((retryAfter.toNanosPart() > 0) ? 1 : 0);
		return Math.max(1, seconds);
	}

	private static Map<String, Object> body(ApiProblem problem, ServerWebExchange exchange, String requestId) {
		Map<String, Object> body = new LinkedHashMap<>();
		body.put("type", problem.type());
		body.put("title", problem.title());
		body.put("status", problem.status());
		body.put("detail", problem.detail());
		body.put("instance", exchange.getRequest().getPath().pathWithinApplication().value());
		body.put("requestId", requestId);
		String traceId = Traces.traceId(exchange);
		if (traceId != null) {
			// Finds the request in the tracing backend and in the logs of both services (docs/operations.md).
			body.put("traceId", traceId);
		}
		if (!problem.errors().isEmpty()) {
			body.put("errors", problem.errors());
		}
		return body;
	}

	/**
	 * The problem a failure stands for, as {@link #render} would write it: for a front door that writes its own
	 * error format (the OpenAI-compatible API) from the same statuses, details and {@code Retry-After}.
	 * @param exchange the current exchange
	 * @param failure what went wrong
	 * @return the problem (an unexpected failure is logged and becomes {@code internal-error})
	 */
	public ApiProblem problemOf(ServerWebExchange exchange, Throwable failure) {
		return toProblem(exchange, failure);
	}

	/**
	 * The {@code Retry-After} value in whole seconds, rounded up, at least 1.
	 * @param retryAfter the delay
	 * @return the header value
	 */
	public static String retryAfterHeader(Duration retryAfter) {
		return Long.toString(retryAfterSeconds(retryAfter));
	}

	private static ApiProblem toProblem(ServerWebExchange exchange, Throwable failure) {
		if (failure instanceof ApiProblem problem) {
			return problem;
		}
		if (failure instanceof DataBufferLimitException) {
			return payloadTooLarge();
		}
		if (failure instanceof InvalidMediaTypeException) {
			// Reading Content-Type is the only place a client's media type reaches unparsed; Accept
			// headers are parsed leniently (AcceptPreference) or become a 406 in Spring.
			return ApiProblem.of(ProblemTypes.UNSUPPORTED_MEDIA_TYPE, 415, "Unsupported media type",
					"The Content-Type header is not a valid media type; send the body with "
							+ "Content-Type: application/json.");
		}
		if (failure instanceof ResponseStatusException statusException) {
			int status = statusException.getStatusCode().value();
			String path = exchange.getRequest().getPath().pathWithinApplication().value();
			switch (status) {
				case 404:
					return ApiProblem.of(ProblemTypes.NOT_FOUND, 404, "Not found",
							"There is nothing at " + path + ". Try GET /generate?prompt=... or GET /health.");
				case 405:
					return ApiProblem.of(ProblemTypes.METHOD_NOT_ALLOWED, 405, "Method not allowed",
							exchange.getRequest().getMethod().name() + " is not supported on " + path + "; use "
									+ allowed(statusException) + ".");
				case 415:
					return ApiProblem.of(ProblemTypes.UNSUPPORTED_MEDIA_TYPE, 415, "Unsupported media type",
							"Send the request body as application/json.");
				case 413:
					return payloadTooLarge();
				default:
					if (status >= 500) {
						return internalError(exchange, failure, status);
					}
					String reason = (failure instanceof ServerWebInputException && statusException.getReason() != null)
							? statusException.getReason() : "The request could not be read.";
					return ApiProblem.of(ProblemTypes.BAD_REQUEST, status, reasonPhrase(status), reason);
			}
		}
		return internalError(exchange, failure, 500);
	}

	private static ApiProblem payloadTooLarge() {
		return ApiProblem.of(ProblemTypes.PAYLOAD_TOO_LARGE, 413, "Request body too large",
				"The request body is larger than this API accepts.");
	}

	private static ApiProblem internalError(ServerWebExchange exchange, Throwable failure, int status) {
		logger.error("Request {} failed", RequestContext.requestId(exchange), failure);
		return ApiProblem.of(ProblemTypes.INTERNAL_ERROR, status, "Internal error",
				"The API failed unexpectedly; quote the request id when reporting it.");
	}

	private static String allowed(ResponseStatusException failure) {
		if (failure instanceof MethodNotAllowedException notAllowed && !notAllowed.getSupportedMethods().isEmpty()) {
			return notAllowed.getSupportedMethods().stream().map(HttpMethod::name).sorted().collect(Collectors.joining(" or "));
		}
		return "GET or POST";
	}

	private static String reasonPhrase(int status) {
		HttpStatus resolved = HttpStatus.resolve(status);
		return (resolved != null) ? resolved.getReasonPhrase() : "Error";
	}

}

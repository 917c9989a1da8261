package dev.imagegen.api.openai;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

import dev.imagegen.api.context.RequestContext;
import dev.imagegen.api.problem.ApiProblem;
import dev.imagegen.api.problem.ProblemRenderer;
import dev.imagegen.api.problem.ProblemTypes;
import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.stereotype.Component;
import org.springframework.web.server.MethodNotAllowedException;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;

/**
 * Writes every failure on {@code /v1/**} in OpenAI's error envelope,
 * {@code {"error":{"message","type","param","code"}}}, which OpenAI's SDKs turn into their typed exceptions, instead
 * of {@code application/problem+json}. The failure is first made the same problem {@code /generate} would answer
 * (same status, same {@code Retry-After}); only its form changes. Ordered inside the access log and outside the
 * client filter, so that a {@code 401} or {@code 429} of the client limits gets the envelope too.
 */
@Component
class OpenAiErrors implements WebFilter, Ordered {

	static final String PREFIX = "/v1/";

	private final ProblemRenderer problems;

	private final JsonMapper jsonMapper;

	OpenAiErrors(ProblemRenderer problems, JsonMapper jsonMapper) {
		this.problems = problems;
		this.jsonMapper = jsonMapper;
	}

	@Override
	public int getOrder() {
		// After AccessLogFilter (+1, which assigns the request id), before ClientFilter and StrictQueryFilter (+10).
		return Ordered.HIGHEST_PRECEDENCE + 5;
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
		if (!exchange.getRequest().getPath().pathWithinApplication().value().startsWith(PREFIX)) {
			return chain.filter(exchange);
		}
		return chain.filter(exchange).onErrorResume((failure) -> render(exchange, failure));
	}

	private Mono<Void> render(ServerWebExchange exchange, Throwable failure) {
		ServerHttpResponse response = exchange.getResponse();
		if (response.isCommitted()) {
			return Mono.error(failure);
		}
		ApiProblem problem = this.problems.problemOf(exchange, failure);
		exchange.getAttributes().put(RequestContext.PROBLEM_TYPE, problem.type());
		response.setStatusCode(HttpStatusCode.valueOf(problem.status()));
		HttpHeaders headers = response.getHeaders();
		// A success response may have been half prepared; none of its representation headers apply.
		headers.remove(HttpHeaders.ETAG);
		headers.remove(HttpHeaders.CONTENT_DISPOSITION);
		headers.remove("X-Seed");
		headers.setCacheControl("no-store");
		headers.set(RequestContext.REQUEST_ID_HEADER, RequestContext.requestId(exchange));
		if (problem.retryAfter() != null) {
			headers.set(HttpHeaders.RETRY_AFTER, ProblemRenderer.retryAfterHeader(problem.retryAfter()));
		}
		if (failure instanceof MethodNotAllowedException notAllowed) {
			headers.setAllow(notAllowed.getSupportedMethods());
		}
		byte[] bytes = this.jsonMapper.writeValueAsBytes(envelope(problem));
		headers.setContentType(MediaType.APPLICATION_JSON);
		headers.setContentLength(bytes.length);
		if (exchange.getRequest().getMethod() == HttpMethod.HEAD) {
			return response.setComplete();
		}
		return response.writeWith(Mono.just(response.bufferFactory().wrap(bytes)));
	}

	/**
	 * The envelope of a problem: {@code message} is its detail, {@code param} the first offending field of a
	 * validation problem, {@code code} the problem's type name in snake case ({@code validation_error},
	 * {@code rate_limited}, {@code too_many_concurrent}, {@code unauthorized}, {@code upstream_rejected}, …).
	 * @param problem the problem
	 * @return the body
	 */
	static Map<String, Object> envelope(ApiProblem problem) {
		Map<String, Object> error = new LinkedHashMap<>();
		error.put("message", problem.detail());
		error.put("type", type(problem.status()));
		error.put("param", problem.errors().isEmpty() ? null : problem.errors().get(0).parameter());
		error.put("code", ProblemTypes.shortName(problem.type()).replace('-', '_').toLowerCase(Locale.ROOT));
		return Map.of("error", error);
	}

	/** OpenAI's error types, by status, as its SDKs and clients expect them. */
	static String type(int status) {
		if (status == 401) {
			return "authentication_error";
		}
		if (status == 429) {
			return "rate_limit_error";
		}
		return (status >= 500) ? "server_error" : "invalid_request_error";
	}

}

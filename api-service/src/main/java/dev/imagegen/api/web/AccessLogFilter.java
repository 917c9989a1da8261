package dev.imagegen.api.web;

import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.slf4j.spi.LoggingEventBuilder;
import reactor.core.publisher.Mono;
import reactor.core.publisher.SignalType;

import dev.imagegen.api.context.RequestContext;
import dev.imagegen.api.observability.Traces;
import dev.imagegen.api.problem.ProblemRenderer;
import dev.imagegen.api.problem.ProblemTypes;
import org.springframework.core.Ordered;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;

/**
 * First filter of every request: assigns the request id (keeping a caller's sane {@code X-Request-Id}),
 * echoes it on every response, renders handler failures as problems (so that their status is known
 * here), records {@code imagegen.api.requests}, and writes one access-log line. The line and the tags
 * carry the path without the query string and the prompt's length, never the prompt.
 */
@Component
class AccessLogFilter implements WebFilter, Ordered {

	private static final Logger accessLog = LoggerFactory.getLogger("dev.imagegen.api.access");

	private static final Pattern SANE_REQUEST_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");

	/** Nginx's convention for "the client went away before the answer". */
	private static final int CLIENT_CLOSED = 499;

	/** Methods a metric tag may name; any other token a client sends is tagged {@code OTHER}. */
	private static final Set<HttpMethod> STANDARD_METHODS = Set.of(HttpMethod.values());

	private final ProblemRenderer problems;

	private final Meter.MeterProvider<Timer> requestTimer;

	AccessLogFilter(ProblemRenderer problems, MeterRegistry meters) {
		this.problems = problems;
		this.requestTimer = Timer.builder("imagegen.api.requests")
			.description("Image generation requests handled by the API")
			.withRegistry(meters);
	}

	@Override
	public int getOrder() {
		// Outermost, so that every other filter sees the request id and every answer is logged.
		return Ordered.HIGHEST_PRECEDENCE + 1;
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
		long start = System.nanoTime();
		ServerHttpRequest request = exchange.getRequest();
		String requestId = requestIdOf(request.getHeaders().getFirst(RequestContext.REQUEST_ID_HEADER));
		exchange.getAttributes().put(RequestContext.REQUEST_ID, requestId);
		exchange.getResponse().getHeaders().set(RequestContext.REQUEST_ID_HEADER, requestId);
		exchange.getResponse().beforeCommit(() -> {
			exchange.getResponse().getHeaders().set(RequestContext.REQUEST_ID_HEADER, requestId);
			return Mono.empty();
		});
		return chain.filter(exchange)
			.onErrorResume((failure) -> this.problems.render(exchange, failure))
			.doFinally((signal) -> finish(exchange, signal, start));
	}

	static String requestIdOf(String candidate) {
		if (candidate != null && SANE_REQUEST_ID.matcher(candidate).matches()) {
			return candidate;
		}
		// A version 4 UUID as UUID.randomUUID() makes one, but from ThreadLocalRandom: a request id correlates logs
		// and is no secret, and randomUUID's SecureRandom (a lock and a digest per call) was 1 % of a cache hit.
		ThreadLocalRandom random = ThreadLocalRandom.current();
		long high = (random.nextLong() & ~0xF000L) | 0x4000L;
		long low = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
		return new UUID(high, low).toString();
	}

	private void finish(ServerWebExchange exchange, SignalType signal, long start) {
		long nanos = System.nanoTime() - start;
		ServerHttpRequest request = exchange.getRequest();
		String path = request.getPath().pathWithinApplication().value();
		HttpStatusCode statusCode = exchange.getResponse().getStatusCode();
		int status = (signal == SignalType.CANCEL) ? CLIENT_CLOSED : ((statusCode != null) ? statusCode.value() : 200);
		String worker = exchange.getAttribute(RequestContext.WORKER);
		Integer promptLength = exchange.getAttribute(RequestContext.PROMPT_LENGTH);
		String problemType = exchange.getAttribute(RequestContext.PROBLEM_TYPE);
		String client = exchange.getAttribute(RequestContext.CLIENT);
		String traceId = Traces.traceId(exchange);
		String problem = (problemType != null) ? ProblemTypes.shortName(problemType) : "-";
		// The same fields as text (human format) and as key-value pairs (the JSON format's own fields).
		LoggingEventBuilder line = accessLog.atInfo();
		if (MDC.get("traceId") == null) {
			// Tracing puts the id in the log context when it reaches this thread; a second pair would clash.
			line = line.addKeyValue("traceId", (traceId != null) ? traceId : "-");
		}
		line.addKeyValue("requestId", RequestContext.requestId(exchange))
			.addKeyValue("client", (client != null) ? client : "-")
			.addKeyValue("method", request.getMethod().name())
			.addKeyValue("path", path)
			.addKeyValue("status", status)
			.addKeyValue("durationMs", TimeUnit.NANOSECONDS.toMillis(nanos))
			.addKeyValue("worker", (worker != null) ? worker : "-")
			.addKeyValue("promptLength", (promptLength != null) ? promptLength : "-")
			.addKeyValue("problem", problem)
			.log("requestId={} traceId={} client={} method={} path={} status={} durationMs={} worker={} promptLength={} problem={}",
					RequestContext.requestId(exchange), (traceId != null) ? traceId : "-", (client != null) ? client : "-",
					request.getMethod().name(), path, status, TimeUnit.NANOSECONDS.toMillis(nanos),
					(worker != null) ? worker : "-", (promptLength != null) ? promptLength : "-", problem);
		if (path.equals("/generate")) {
			HttpMethod method = request.getMethod();
			this.requestTimer
				.withTags("method", STANDARD_METHODS.contains(method) ? method.name() : "OTHER", "status",
						Integer.toString(status), "outcome", outcome(status), "problem",
						(problemType != null) ? problem : "none")
				.record(nanos, TimeUnit.NANOSECONDS);
		}
	}

	private static String outcome(int status) {
		if (status == CLIENT_CLOSED) {
			return "CANCELLED";
		}
		if (status == 304) {
			return "NOT_MODIFIED";
		}
		if (status < 300) {
			return "SUCCESS";
		}
		return (status < 500) ? "CLIENT_ERROR" : "SERVER_ERROR";
	}

}

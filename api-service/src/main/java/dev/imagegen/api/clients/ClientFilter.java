package dev.imagegen.api.clients;

import java.time.Duration;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import reactor.core.publisher.Mono;

import dev.imagegen.api.context.RequestContext;
import dev.imagegen.api.problem.ApiProblem;
import dev.imagegen.api.problem.ProblemTypes;
import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;

/**
 * Resolves each request's client, spends its request token, and on the API routes writes the
 * {@code RateLimit-Policy} and {@code RateLimit} headers as they stand when the response is committed
 * (so that a generation just admitted is counted). Health and management paths are exempt: monitors poll them.
 */
final class ClientFilter implements WebFilter, Ordered {

	/** Set when the limiter could not decide (the shared limiter without Redis): no quotas to show either. */
	private static final String UNDECIDED = ClientFilter.class.getName() + ".undecided";

	private final ClientResolver resolver;

	private final ClientLimiter limiter;

	private final Meter.MeterProvider<Counter> rejected;

	private final int requestsPerMinute;

	ClientFilter(ClientResolver resolver, ClientLimiter limiter, int requestsPerMinute, MeterRegistry meters) {
		this.resolver = resolver;
		this.limiter = limiter;
		this.requestsPerMinute = requestsPerMinute;
		this.rejected = rejectedCounter(meters);
	}

	/** The one definition of the refusal counter, shared with {@link GenerationGate}. */
	static Meter.MeterProvider<Counter> rejectedCounter(MeterRegistry meters) {
		return Counter.builder("imagegen.clients.rejected")
			.description("Requests refused by client limits, by reason")
			.withRegistry(meters);
	}

	@Override
	public int getOrder() {
		// Inside the access log (which renders problems and needs the request id), before any handler.
		return Ordered.HIGHEST_PRECEDENCE + 10;
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
		String path = exchange.getRequest().getPath().pathWithinApplication().value();
		if (exempt(path)) {
			return chain.filter(exchange);
		}
		boolean apiRoute = apiRoute(path);
		ClientIdentity client;
		try {
			client = this.resolver.resolve(exchange.getRequest(), apiRoute && !capabilityUrl(path));
		}
		catch (ApiProblem unauthorized) {
			this.rejected.withTags("reason", "unauthorized").increment();
			exchange.getResponse().getHeaders().set(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"imagegen\"");
			// The quotas shown are those the sender has without a key: what it gets if it drops the bad one.
			writeQuotasOnCommit(exchange, this.resolver.resolve(exchange.getRequest(), false));
			return Mono.error(unauthorized);
		}
		exchange.getAttributes().put(ClientIdentity.ATTRIBUTE, client);
		exchange.getAttributes().put(RequestContext.CLIENT, client.name());
		if (apiRoute) {
			writeQuotasOnCommit(exchange, client);
		}
		// A shared limiter that cannot reach Redis fails here with 503 queue-unavailable: no decision, no request.
		return this.limiter.tryRequest(client)
			.doOnError((failure) -> exchange.getAttributes().put(UNDECIDED, true))
			.flatMap((decision) -> {
				if (!decision.admitted()) {
					this.rejected.withTags("reason", decision.reason()).increment();
					return Mono.error(rateLimited("Too many requests",
							"This client sent more than its " + this.requestsPerMinute + " requests per minute.",
							decision.retryAfter()));
				}
				return chain.filter(exchange);
			});
	}

	private void writeQuotasOnCommit(ServerWebExchange exchange, ClientIdentity client) {
		ServerHttpResponse response = exchange.getResponse();
		response.beforeCommit(() -> {
			if (exchange.getAttribute(UNDECIDED) != null) {
				// The limiter just failed (Redis down): asking it again would only delay the 503 by a timeout.
				return Mono.empty();
			}
			return this.limiter.quotas(client)
				.doOnNext((quotas) -> RateLimitHeaders.write(response.getHeaders(), quotas))
				// Quotas that cannot be read (Redis down) leave the headers out; the answer itself still goes.
				.onErrorResume((failure) -> Mono.empty())
				.then();
		});
	}

	static ApiProblem rateLimited(String title, String detail, Duration retryAfter) {
		return ApiProblem.of(ProblemTypes.RATE_LIMITED, 429, title, detail).withRetryAfter(retryAfter);
	}

	/** Monitors and scrapers must never be throttled into reporting an outage. */
	static boolean exempt(String path) {
		return path.equals("/health") || path.equals("/livez") || path.equals("/readyz")
				|| path.equals("/actuator") || path.startsWith("/actuator/");
	}

	/**
	 * An image URL handed out by {@code /v1/images/generations}: its unguessable name is the credential, since
	 * tools give such URLs to browsers and other programs that hold no key. No key is asked for there (not even
	 * with {@code REQUIRE_API_KEY}), and one sent is not checked; the request rate still applies.
	 */
	static boolean capabilityUrl(String path) {
		return path.startsWith("/v1/images/") && !path.equals("/v1/images/generations");
	}

	/** The routes that take keys and carry the rate-limit headers. */
	static boolean apiRoute(String path) {
		return path.equals("/generate") || path.equals("/jobs") || path.startsWith("/jobs/") || path.startsWith("/v1/");
	}

}

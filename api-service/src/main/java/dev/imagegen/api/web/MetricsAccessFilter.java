package dev.imagegen.api.web;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

import reactor.core.publisher.Mono;

import dev.imagegen.api.problem.ApiProblem;
import dev.imagegen.api.problem.ProblemTypes;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.core.Ordered;
import org.springframework.http.HttpHeaders;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;

/**
 * Keeps metrics off the public port. With {@code MANAGEMENT_PORT} set the actuator lives there and this filter
 * has nothing to do. Without it, {@code /actuator/prometheus} on the main port answers only a caller that sends
 * {@code Authorization: Bearer <METRICS_TOKEN>}, and is absent ({@code 404}) when no {@code METRICS_TOKEN} is
 * set: traffic, worker addresses and error rates are nobody's business on the public internet.
 */
@Component
class MetricsAccessFilter implements WebFilter, Ordered {

	private final boolean separatePort;

	private final byte[] token;

	MetricsAccessFilter(@Value("${management.server.port:}") String managementPort,
			@Value("${imagegen.metrics-token:}") String token) {
		this.separatePort = !managementPort.isBlank();
		this.token = token.trim().getBytes(StandardCharsets.UTF_8);
	}

	@Override
	public int getOrder() {
		// Inside the access log (which renders problems), before anything else handles the path.
		return Ordered.HIGHEST_PRECEDENCE + 2;
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
		String path = exchange.getRequest().getPath().pathWithinApplication().value();
		if (this.separatePort || !(path.equals("/actuator/prometheus") || path.startsWith("/actuator/prometheus/"))) {
			return chain.filter(exchange);
		}
		if (this.token.length == 0) {
			return Mono.error(ApiProblem.of(ProblemTypes.NOT_FOUND, 404, "Not found", "No such resource."));
		}
		String authorization = exchange.getRequest().getHeaders().getFirst(HttpHeaders.AUTHORIZATION);
		byte[] presented = (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7))
				? authorization.substring(7).trim().getBytes(StandardCharsets.UTF_8) : new byte[0];
		// Constant-time: the comparison must not tell an attacker how much of the token was right.
		if (!MessageDigest.isEqual(presented, this.token)) {
			exchange.getResponse().getHeaders().set(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"metrics\"");
			return Mono.error(ApiProblem.of(ProblemTypes.UNAUTHORIZED, 401, "Metrics token required",
					"Send Authorization: Bearer <METRICS_TOKEN> to read the metrics."));
		}
		return chain.filter(exchange);
	}

}

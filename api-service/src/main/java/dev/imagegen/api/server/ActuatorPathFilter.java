package dev.imagegen.api.server;

import reactor.core.publisher.Mono;

import org.springframework.core.Ordered;
import org.springframework.http.HttpStatus;
import org.springframework.http.server.PathContainer;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;

/**
 * Makes paths that name nothing a {@code 404} instead of a {@code 500}: a {@code .} or {@code ..} segment
 * (the server does not normalize them, and no resource of this API has one), and a nested health path
 * such as {@code /actuator/health/nope/x}, where Spring Boot 4.0's health endpoint fails an assertion
 * ({@code 'contributor' must not be null}) instead of answering 404 as it does for {@code /actuator/health/nope}.
 */
@Component
class ActuatorPathFilter implements WebFilter, Ordered {

	private static final String HEALTH_PREFIX = "/actuator/health/";

	@Override
	public int getOrder() {
		return Ordered.HIGHEST_PRECEDENCE + 11;
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
		PathContainer path = exchange.getRequest().getPath().pathWithinApplication();
		for (PathContainer.Element element : path.elements()) {
			if (element instanceof PathContainer.PathSegment segment
					&& (segment.value().equals(".") || segment.value().equals(".."))) {
				return Mono.error(new ResponseStatusException(HttpStatus.NOT_FOUND));
			}
		}
		if (path.value().startsWith(HEALTH_PREFIX)) {
			return chain.filter(exchange)
				.onErrorMap(IllegalStateException.class, (ex) -> new ResponseStatusException(HttpStatus.NOT_FOUND));
		}
		return chain.filter(exchange);
	}

}

package dev.imagegen.api.server;

import reactor.core.publisher.Mono;

import org.springframework.core.Ordered;
import org.springframework.http.HttpMethod;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;

/**
 * Answers {@code HEAD /} like {@code GET /} (RFC 9110 9.3.2): Spring Boot's welcome-page route matches
 * GET only, so HEAD got a 404. The request is handled as a GET; WebFlux already drops the body of a HEAD
 * response and keeps its {@code Content-Length}. Other paths keep their own HEAD handling.
 */
@Component
class HeadAsGetFilter implements WebFilter, Ordered {

	@Override
	public int getOrder() {
		return Ordered.HIGHEST_PRECEDENCE + 12;
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
		if (exchange.getRequest().getMethod() == HttpMethod.HEAD
				&& exchange.getRequest().getPath().pathWithinApplication().value().equals("/")) {
			return chain.filter(exchange.mutate().request((request) -> request.method(HttpMethod.GET)).build());
		}
		return chain.filter(exchange);
	}

}

package dev.imagegen.api.web;

import reactor.core.publisher.Mono;

import org.springframework.core.Ordered;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;

/**
 * Sends {@code X-Content-Type-Options: nosniff} on every response, so that a browser never reads a
 * problem or an image as something else (an HTML error page as script, say). Set before the chain
 * runs, so error responses carry it too.
 */
@Component
class NoSniffFilter implements WebFilter, Ordered {

	static final String HEADER = "X-Content-Type-Options";

	@Override
	public int getOrder() {
		return Ordered.HIGHEST_PRECEDENCE + 2;
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
		exchange.getResponse().getHeaders().set(HEADER, "nosniff");
		return chain.filter(exchange);
	}

}

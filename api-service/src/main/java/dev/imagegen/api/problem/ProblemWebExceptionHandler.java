package dev.imagegen.api.problem;

import reactor.core.publisher.Mono;

import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebExceptionHandler;

/**
 * Catches what escapes the filter chain (the access-log filter already renders failures of the
 * handlers) so that no failure falls through to Spring Boot's default error page. Ordered ahead of
 * Boot's {@code DefaultErrorWebExceptionHandler} ({@code -1}).
 */
@Component
@Order(-2)
class ProblemWebExceptionHandler implements WebExceptionHandler {

	private final ProblemRenderer renderer;

	ProblemWebExceptionHandler(ProblemRenderer renderer) {
		this.renderer = renderer;
	}

	@Override
	public Mono<Void> handle(ServerWebExchange exchange, Throwable ex) {
		return this.renderer.render(exchange, ex);
	}

}

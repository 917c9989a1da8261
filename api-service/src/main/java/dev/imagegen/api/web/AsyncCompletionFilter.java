package dev.imagegen.api.web;

import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

import org.springframework.core.Ordered;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;

/**
 * Outermost filter: handles every exchange, and signals its end, on another thread than the event loop's
 * current call stack.
 * <p>
 * Reactor Netty 1.3.6 (the version Spring Boot 4.0.7 brings) can stop reading a keep-alive connection when a
 * request that arrived while the previous one was still terminating is answered synchronously (a 304, a
 * cached health answer): the next request on that connection then hangs until the client gives up
 * (reactor/reactor-netty#4361, fixed in 1.3.8, whose Netty is not yet usable here). Completing
 * asynchronously keeps Reactor Netty on its ordinary path, which always re-arms the read. Hopping only the
 * completion was not enough: an answer written synchronously inside the read (a 401 or 429 from a filter, a
 * 304) still stalled the next request (two of four runs of ClientLimitsTests), so the handling starts off
 * the event loop too.
 * The cost is one or two thread hops per request. Remove this filter once Reactor Netty 1.3.8 or later is on the classpath.
 */
@Component
class AsyncCompletionFilter implements WebFilter, Ordered {

	@Override
	public int getOrder() {
		return Ordered.HIGHEST_PRECEDENCE;
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
		return chain.filter(exchange).subscribeOn(Schedulers.parallel()).publishOn(Schedulers.parallel());
	}

}

package dev.imagegen.api.generate;

import reactor.core.publisher.Mono;

import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ResponseCookie;
import org.springframework.http.ResponseEntity;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.util.CollectionUtils;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.util.MultiValueMap;
import org.springframework.web.reactive.function.server.RequestPredicates;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.reactive.function.server.support.RouterFunctionMapping;
import org.springframework.web.reactive.function.server.support.ServerResponseResultHandler;
import org.springframework.web.server.ServerWebExchange;

/**
 * Routes {@code GET /generate}, the path every {@code <img>} and every cache hit takes, straight to
 * {@link GenerateController#get}, as a router function rather than through the annotated mapping.
 * <p>
 * Why: for an annotated method WebFlux matches the request against every mapping's conditions, builds an
 * {@code InvocableHandlerMethod} with a fresh argument-resolver cache, and negotiates the answer's writer, per
 * request. A quarter of a cache hit's CPU samples lay under that machinery, the handler's own work included (a
 * JFR recording, docs/benchmarks.md "Twelfth session"); CPU per miss fell from 0.75–0.80 to 0.57–0.72 ms. Router
 * functions are consulted first ({@code RouterFunctionMapping} has the higher precedence) and cost a path match.
 * The controller keeps its {@code @GetMapping}: springdoc documents the operation from it, and
 * the other methods' {@code 405} lists GET in {@code Allow}. {@code HEAD} keeps its own mapping.
 */
@Configuration(proxyBeanMethods = false)
class GenerateRoute {

	/**
	 * The router functions' mapping goes first, before the actuator's ({@code -100}); WebFlux's own order for it
	 * is {@code -1}.
	 * <p>
	 * Why: the actuator's endpoint mapping is an annotated one, and a path that none of its mappings has as a
	 * literal makes it test every one of its mappings' conditions (methods, patterns, media types) before it gives
	 * up, for every request. That was 6 % of a cache hit's CPU samples (docs/benchmarks.md, "Fourteenth
	 * session"). The router functions match only their own literal paths ({@code /generate},
	 * {@code /page-config.json}), so nothing of the actuator's can be shadowed by going after them.
	 */
	static final int ROUTER_FUNCTIONS_ORDER = -200;

	@Bean
	static BeanPostProcessor routerFunctionsFirst() {
		return new BeanPostProcessor() {
			@Override
			public Object postProcessBeforeInitialization(Object bean, String beanName) {
				if (bean instanceof RouterFunctionMapping mapping) {
					mapping.setOrder(ROUTER_FUNCTIONS_ORDER);
				}
				else if (bean instanceof ServerResponseResultHandler handler) {
					// Likewise for the answer: asked first, it takes a ServerResponse at an instanceof, where the
					// ResponseEntity handler before it looked the value's class up among the reactive adapters.
					handler.setOrder(ROUTER_FUNCTIONS_ORDER);
				}
				return bean;
			}
		};
	}

	@Bean
	RouterFunction<ServerResponse> generateGetRoute(GenerateController controller) {
		// A path pattern, so that it becomes the request's best-matching pattern (metrics and logs name the route).
		// GET only: in WebFlux the method predicate does not take HEAD for GET.
		return RouterFunctions.route(RequestPredicates.GET("/generate"),
				(request) -> controller.get(request.exchange()).flatMap(GenerateRoute::response));
	}

	/** The controller's answer as it is: status, headers and the body buffer, written without a conversion. */
	static Mono<ServerResponse> response(ResponseEntity<DataBuffer> entity) {
		return Mono.just(new EntityResponse(entity));
	}

	/**
	 * A {@link ServerResponse} that writes the controller's {@link ResponseEntity} straight to the exchange.
	 * <p>
	 * Why not {@code ServerResponse.status(…).headers(…).body(…)}: that builder copies the headers into its own
	 * map, copies them again into the response it builds, and once more into the exchange's response, and wraps
	 * the buffer in a body inserter: 5 % of a cache hit's CPU samples (docs/benchmarks.md, "Fourteenth
	 * session"). Here the headers are copied once. The builder's conditional check ({@code If-None-Match},
	 * {@code If-Modified-Since}) is left out: the controller answers a matching {@code If-None-Match} with its
	 * 304 before it gets here, and its answers carry no {@code Last-Modified}.
	 */
	record EntityResponse(ResponseEntity<DataBuffer> entity) implements ServerResponse {

		private static final MultiValueMap<String, ResponseCookie> NO_COOKIES = CollectionUtils
			.unmodifiableMultiValueMap(new LinkedMultiValueMap<>());

		@Override
		public HttpStatusCode statusCode() {
			return this.entity.getStatusCode();
		}

		@Override
		public HttpHeaders headers() {
			return this.entity.getHeaders();
		}

		@Override
		public MultiValueMap<String, ResponseCookie> cookies() {
			return NO_COOKIES;
		}

		@Override
		public Mono<Void> writeTo(ServerWebExchange exchange, Context context) {
			ServerHttpResponse response = exchange.getResponse();
			response.setStatusCode(this.entity.getStatusCode());
			response.getHeaders().putAll(this.entity.getHeaders());
			DataBuffer body = this.entity.getBody();
			return (body != null) ? response.writeWith(Mono.just(body)) : response.setComplete();
		}

	}

}

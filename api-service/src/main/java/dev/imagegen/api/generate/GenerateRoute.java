package dev.imagegen.api.generate;

import reactor.core.publisher.Mono;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.ResponseEntity;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.http.server.reactive.observation.ServerRequestObservationContext;
import org.springframework.web.reactive.HandlerAdapter;
import org.springframework.web.reactive.HandlerMapping;
import org.springframework.web.reactive.HandlerResult;
import org.springframework.web.reactive.handler.AbstractHandlerMapping;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.util.pattern.PathPattern;
import org.springframework.web.util.pattern.PathPatternParser;

/**
 * Routes {@code GET /generate}, the path every {@code <img>} and every cache hit takes, straight to
 * {@link GenerateController#get}, through a handler mapping and a handler adapter of its own, and writes the
 * controller's answer (status, headers, the body buffer) to the exchange as it is.
 * <p>
 * Why not the annotated mapping, or a router function: for an annotated method WebFlux matches the request against
 * every mapping's conditions, builds an {@code InvocableHandlerMethod} with a fresh argument-resolver cache, and
 * negotiates the answer's writer, per request (a quarter of a cache hit's CPU samples, docs/benchmarks.md "Twelfth
 * session"). A router function still makes a {@code ServerRequest}, a {@code HandlerResult} (with a
 * {@code ResolvableType} of its return type) and a {@code ServerResponse} whose builder copies the headers three
 * times; and the actuator's mapping, ordered before router functions, first tried each of its own mappings'
 * conditions against the path ("Fourteenth session"). This mapping goes first and matches one literal path; the
 * adapter writes the answer with one header copy.
 * <p>
 * The controller keeps its {@code @GetMapping}: springdoc documents the operation from it, the other methods'
 * {@code 405} lists GET in {@code Allow}, and {@code HEAD} keeps its own mapping. The mapping sets the
 * best-matching handler and pattern (the pattern names the route in {@code http.server.requests}); the path has no
 * variables. It has no CORS configuration: none is configured for the API today, and one added through
 * {@code WebFluxConfigurer.addCorsMappings} would have to be given to this mapping as well.
 */
@Configuration(proxyBeanMethods = false)
class GenerateRoute {

	/** Before the actuator's endpoint mapping ({@code -100}) and the router functions' ({@code -1}). */
	private static final int ORDER = -200;

	/** The same path as the controller's {@code @GetMapping} (GenerateRouteTests checks). */
	static final PathPattern PATH = PathPatternParser.defaultInstance.parse("/generate");

	@Bean
	HandlerMapping generateGetMapping(GenerateController controller) {
		GetGenerateMapping mapping = new GetGenerateMapping(controller);
		mapping.setOrder(ORDER);
		return mapping;
	}

	@Bean
	HandlerAdapter generateGetAdapter() {
		return new GetGenerateAdapter();
	}

	/**
	 * {@code GET /generate} to the controller (the handler the adapter calls), matched as the annotated mapping
	 * matches it: by a path pattern, which ignores path parameters ({@code /generate;x}) and takes no trailing slash.
	 */
	static final class GetGenerateMapping extends AbstractHandlerMapping {

		private final GenerateController handler;

		GetGenerateMapping(GenerateController handler) {
			this.handler = handler;
		}

		@Override
		protected Mono<?> getHandlerInternal(ServerWebExchange exchange) {
			ServerHttpRequest request = exchange.getRequest();
			// GET only: HEAD keeps the controller's own mapping.
			if (request.getMethod() != HttpMethod.GET || !PATH.matches(request.getPath().pathWithinApplication())) {
				return Mono.empty();
			}
			exchange.getAttributes().put(BEST_MATCHING_HANDLER_ATTRIBUTE, this.handler);
			exchange.getAttributes().put(BEST_MATCHING_PATTERN_ATTRIBUTE, PATH);
			ServerRequestObservationContext.findCurrent(exchange.getAttributes())
				.ifPresent((context) -> context.setPathPattern(PATH.getPatternString()));
			return Mono.just(this.handler);
		}

	}

	/**
	 * Calls the controller and writes its answer. It yields no {@link HandlerResult}: the answer is written, so no
	 * result handler has anything left to do. A failure of the controller (a problem) goes on as an error, to be
	 * rendered by the access-log filter as any handler's is.
	 */
	static final class GetGenerateAdapter implements HandlerAdapter {

		@Override
		public boolean supports(Object handler) {
			// Only GetGenerateMapping hands out the controller itself; the annotated mapping hands out its methods.
			return handler instanceof GenerateController;
		}

		@Override
		public Mono<HandlerResult> handle(ServerWebExchange exchange, Object handler) {
			return ((GenerateController) handler).get(exchange)
				.flatMap((entity) -> write(entity, exchange.getResponse()))
				.then(Mono.empty());
		}

		/**
		 * Status, headers (one copy) and the body buffer as it is. The controller answers a matching
		 * {@code If-None-Match} with its own 304, and its answers carry no {@code Last-Modified}, so there is no
		 * conditional check left to make here.
		 */
		static Mono<Void> write(ResponseEntity<DataBuffer> entity, ServerHttpResponse response) {
			DataBuffer body = entity.getBody();
			try {
				response.setStatusCode(entity.getStatusCode());
				// Straight over the backing map: HttpHeaders.putAll and forEach first wrap every entry in a
				// case-insensitive view and look each name up again (2 % of the miss path's samples,
				// docs/benchmarks.md, "Fifteenth session").
				HttpHeaders headers = response.getHeaders();
				entity.getHeaders().asMultiValueMap().forEach(headers::put);
			}
			catch (RuntimeException ex) {
				// Headers already committed, or a value Netty refuses: the body (a reference to a cached image's
				// buffer, on a hit) is never written, so its reference is given back here.
				DataBufferUtils.release(body);
				return Mono.error(ex);
			}
			return (body != null) ? response.writeWith(Mono.just(body)) : response.setComplete();
		}

	}

}

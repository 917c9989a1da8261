package dev.imagegen.api.observability;

import io.micrometer.observation.Observation;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.handler.TracingObservationHandler;

import org.springframework.http.server.reactive.observation.ServerRequestObservationContext;
import org.springframework.web.server.ServerWebExchange;

/**
 * The trace id of a request, read from the server observation Spring opens for every exchange (a reactive
 * handler may run on any thread, so the log context is not a reliable place to look).
 */
public final class Traces {

	private Traces() {
	}

	/**
	 * The trace id of the exchange.
	 * @param exchange the exchange
	 * @return the 32-hex-digit W3C trace id, or null when the request is not traced
	 */
	public static String traceId(ServerWebExchange exchange) {
		Observation.Context context = ServerRequestObservationContext.findCurrent(exchange.getAttributes())
			.orElse(null);
		if (context == null) {
			return null;
		}
		TracingObservationHandler.TracingContext tracing = context.get(TracingObservationHandler.TracingContext.class);
		Span span = (tracing != null) ? tracing.getSpan() : null;
		if (span == null) {
			return null;
		}
		String id = span.context().traceId();
		return (id == null || id.isEmpty()) ? null : id;
	}

}

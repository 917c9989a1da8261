package dev.imagegen.worker.web;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

import io.micrometer.tracing.Tracer;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.slf4j.spi.LoggingEventBuilder;

import dev.imagegen.worker.observability.Traces;
import dev.imagegen.worker.request.RequestIdFilter;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Writes one access-log line per request once its answer is complete (for {@code POST /generate}, which
 * answers asynchronously, when the async request completes): request id, trace id, caller, method, path
 * (never the query or the body, so never a prompt), status and duration. Runs just inside Spring's server
 * observation filter, so that the trace of the request is current when the line's trace id is read.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 2)
class AccessLogFilter extends OncePerRequestFilter {

	private static final Logger accessLog = LoggerFactory.getLogger("dev.imagegen.worker.access");

	private final ObjectProvider<Tracer> tracer;

	AccessLogFilter(ObjectProvider<Tracer> tracer) {
		this.tracer = tracer;
	}

	@Override
	protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
			throws ServletException, IOException {
		long start = System.nanoTime();
		String traceId = Traces.remember(request, this.tracer.getIfAvailable());
		boolean async = false;
		try {
			chain.doFilter(request, response);
			async = request.isAsyncStarted();
		}
		finally {
			if (async) {
				request.getAsyncContext().addListener(new AsyncListener() {

					@Override
					public void onComplete(AsyncEvent event) {
						log(request, response, traceId, start);
					}

					@Override
					public void onTimeout(AsyncEvent event) {
					}

					@Override
					public void onError(AsyncEvent event) {
					}

					@Override
					public void onStartAsync(AsyncEvent event) {
					}

				});
			}
			else {
				log(request, response, traceId, start);
			}
		}
	}

	private static void log(HttpServletRequest request, HttpServletResponse response, String traceId, long start) {
		String requestId = RequestIdFilter.idOf(request);
		String client = request.getRemoteAddr();
		long durationMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
		LoggingEventBuilder line = accessLog.atInfo();
		// On the request thread the log context already has these two; a second pair would clash in JSON.
		if (MDC.get("requestId") == null) {
			line = line.addKeyValue("requestId", (requestId != null) ? requestId : "-");
		}
		if (MDC.get("traceId") == null) {
			line = line.addKeyValue("traceId", (traceId != null) ? traceId : "-");
		}
		line.addKeyValue("client", client)
			.addKeyValue("method", request.getMethod())
			.addKeyValue("path", request.getRequestURI())
			.addKeyValue("status", response.getStatus())
			.addKeyValue("durationMs", durationMs)
			.log("requestId={} traceId={} client={} method={} path={} status={} durationMs={}",
					(requestId != null) ? requestId : "-", (traceId != null) ? traceId : "-", client,
					request.getMethod(), request.getRequestURI(), response.getStatus(), durationMs);
	}

}

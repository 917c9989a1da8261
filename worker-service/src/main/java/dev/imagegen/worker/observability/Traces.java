package dev.imagegen.worker.observability;

import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import jakarta.servlet.http.HttpServletRequest;

/**
 * The trace id of a request. It is read once, while Spring's server observation is current (the request
 * thread), and kept on the request so that an answer written later from another thread (a generation
 * completes on an encoder thread) still names it.
 */
public final class Traces {

	/** Request attribute holding the trace id. */
	public static final String ATTRIBUTE = Traces.class.getName() + ".traceId";

	private Traces() {
	}

	/**
	 * Remembers the current trace id on the request.
	 * @param request the request
	 * @param tracer the tracer, or null when tracing is off
	 * @return the trace id, or null when the request is not traced
	 */
	public static String remember(HttpServletRequest request, Tracer tracer) {
		Object known = request.getAttribute(ATTRIBUTE);
		if (known != null) {
			return known.toString();
		}
		Span span = (tracer != null) ? tracer.currentSpan() : null;
		String id = (span != null) ? span.context().traceId() : null;
		if (id == null || id.isEmpty()) {
			return null;
		}
		request.setAttribute(ATTRIBUTE, id);
		return id;
	}

	/**
	 * The trace id remembered on the request.
	 * @param request the request, or null
	 * @return the trace id, or null
	 */
	public static String traceId(HttpServletRequest request) {
		Object id = (request != null) ? request.getAttribute(ATTRIBUTE) : null;
		return (id != null) ? id.toString() : null;
	}

}

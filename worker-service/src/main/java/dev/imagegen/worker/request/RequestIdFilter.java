package dev.imagegen.worker.request;

import java.io.IOException;
import java.util.UUID;
import java.util.regex.Pattern;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.MDC;

import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Echoes the caller's {@code X-Request-Id} (or makes one up) on every response and puts it in the log context,
 * so one id follows a request from the API through the worker.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
public class RequestIdFilter extends OncePerRequestFilter {

	/** Header that carries the id. */
	public static final String HEADER = "X-Request-Id";

	/** Request attribute under which the id is kept. */
	public static final String ATTRIBUTE = RequestIdFilter.class.getName() + ".id";

	// The id ends up in a response header and in logs: accept only harmless characters.
	private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9._:\\-]{1,128}");

	@Override
	protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
			throws ServletException, IOException {
		String id = idFrom(request.getHeader(HEADER));
		request.setAttribute(ATTRIBUTE, id);
		response.setHeader(HEADER, id);
		MDC.put("requestId", id);
		try {
			chain.doFilter(request, response);
		}
		finally {
			MDC.remove("requestId");
		}
	}

	/**
	 * The caller's id when it is harmless, else a fresh one.
	 * @param header the {@code X-Request-Id} header, or null
	 * @return the id to use
	 */
	public static String idFrom(String header) {
		return (header != null && SAFE.matcher(header).matches()) ? header : UUID.randomUUID().toString();
	}

	/**
	 * The id of a request.
	 * @param request the request
	 * @return the id set by this filter, or null outside of it
	 */
	public static String idOf(HttpServletRequest request) {
		Object id = request.getAttribute(ATTRIBUTE);
		return (id != null) ? id.toString() : null;
	}

}

package dev.imagegen.worker.web;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

import dev.imagegen.worker.config.WorkerProperties;
import dev.imagegen.worker.problem.Problem;
import dev.imagegen.worker.problem.ProblemWriter;

/**
 * Keeps the Prometheus scrape off the public main port (docs/worker-api.md, "Actuator and metrics"): with
 * {@code METRICS_TOKEN} set it needs {@code Authorization: Bearer <METRICS_TOKEN>}; without a token and without a
 * {@code MANAGEMENT_PORT} it is absent (404). With a management port the actuator does not live on the main
 * port at all, and this filter (registered in the main context only) has nothing to guard.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 20)
class MetricsAccessFilter extends OncePerRequestFilter {

	private static final String PROMETHEUS = "/actuator/prometheus";

	private final byte[] token;

	private final boolean managementPortSet;

	MetricsAccessFilter(WorkerProperties properties, @Value("${management.server.port:}") String managementPort) {
		this.token = (properties.metricsToken() != null) ? digest(properties.metricsToken()) : null;
		this.managementPortSet = managementPort != null && !managementPort.isBlank();
	}

	@Override
	protected boolean shouldNotFilter(HttpServletRequest request) {
		String path = request.getRequestURI();
		return this.managementPortSet || !(path.equals(PROMETHEUS) || path.startsWith(PROMETHEUS + "/"));
	}

	@Override
	protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
			throws ServletException, IOException {
		if (this.token == null) {
			ProblemWriter.write(request, response, HttpStatus.NOT_FOUND, "No resource at this path.");
			return;
		}
		String header = request.getHeader(HttpHeaders.AUTHORIZATION);
		String presented = (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) ? header.substring(7).trim()
				: null;
		// Hashed, then compared in constant time: neither the token nor its length leaks through timing.
		if (presented == null || !MessageDigest.isEqual(this.token, digest(presented))) {
			response.setHeader(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"metrics\"");
			ProblemWriter.write(request, response, Problem.UNAUTHORIZED,
					"The metrics need Authorization: Bearer <METRICS_TOKEN>.", List.of());
			return;
		}
		chain.doFilter(request, response);
	}

	private static byte[] digest(String value) {
		try {
			return MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException(ex);
		}
	}

}

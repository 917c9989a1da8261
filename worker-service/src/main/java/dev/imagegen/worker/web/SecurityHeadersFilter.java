package dev.imagegen.worker.web;

import java.io.IOException;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Puts {@code X-Content-Type-Options: nosniff} on every response the application answers, so no client ever
 * guesses a type other than the one sent (the problem+json of a failure included). Responses Tomcat writes
 * itself carry it from {@link ProblemErrorReportValve}.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
class SecurityHeadersFilter extends OncePerRequestFilter {

	static final String NOSNIFF = "X-Content-Type-Options";

	@Override
	protected boolean shouldNotFilterErrorDispatch() {
		return false;
	}

	@Override
	protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
			throws ServletException, IOException {
		response.setHeader(NOSNIFF, "nosniff");
		chain.doFilter(request, response);
	}

}

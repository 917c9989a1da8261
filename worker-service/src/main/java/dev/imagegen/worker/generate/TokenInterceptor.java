package dev.imagegen.worker.generate;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.http.HttpHeaders;
import org.springframework.web.servlet.HandlerInterceptor;

import dev.imagegen.worker.problem.Problem;
import dev.imagegen.worker.problem.WorkerException;

/**
 * Requires {@code Authorization: Bearer <WORKER_TOKEN>} on {@code /generate} and {@code /progress} when a token is
 * configured.
 * Both sides are hashed before the constant-time comparison so that not even the length leaks.
 */
final class TokenInterceptor implements HandlerInterceptor {

	private static final Logger log = LoggerFactory.getLogger(TokenInterceptor.class);

	private final byte[] expected;

	TokenInterceptor(String token) {
		this.expected = (token != null) ? digest(token) : null;
		if (token == null) {
			log.warn("WORKER_TOKEN is not set: POST /generate and GET /progress are open to anyone who can reach this port. "
					+ "Set WORKER_TOKEN (and the same value in the api-service) outside of local development.");
		}
	}

	@Override
	public boolean preHandle(HttpServletRequest request, HttpServletResponse response, Object handler) {
		if (this.expected == null) {
			return true;
		}
		String header = request.getHeader(HttpHeaders.AUTHORIZATION);
		String presented = null;
		if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
			presented = header.substring(7).trim();
		}
		if (presented == null || presented.isEmpty() || !MessageDigest.isEqual(this.expected, digest(presented))) {
			// RFC 9110 11.6.1: a 401 names the scheme the client must use.
			response.setHeader(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"imagegen-worker\"");
			throw new WorkerException(Problem.UNAUTHORIZED,
					(presented == null) ? "Send Authorization: Bearer <WORKER_TOKEN>." : "The bearer token is wrong.");
		}
		return true;
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

package dev.imagegen.api.clients;

import org.springframework.http.HttpHeaders;

/**
 * The {@code RateLimit-Policy} and {@code RateLimit} fields of draft-ietf-httpapi-ratelimit-headers-10
 * (structured-field lists, one item per quota policy): {@code q} quota, {@code w} window in seconds, {@code r}
 * remaining, {@code t} seconds until the quota is full again.
 */
final class RateLimitHeaders {

	static final String POLICY = "RateLimit-Policy";

	static final String STATUS = "RateLimit";

	private RateLimitHeaders() {
	}

	static void write(HttpHeaders headers, ClientLimiter.Quotas quotas) {
		headers.set(POLICY, "\"requests\";q=" + quotas.requestsLimit() + ";w=" + quotas.windowSeconds()
				+ ", \"generations\";q=" + quotas.generationsLimit() + ";w=" + quotas.windowSeconds());
		headers.set(STATUS, "\"requests\";r=" + quotas.requestsRemaining() + ";t=" + quotas.requestsReset()
				+ ", \"generations\";r=" + quotas.generationsRemaining() + ";t=" + quotas.generationsReset());
	}

}

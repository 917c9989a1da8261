package dev.imagegen.api.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import org.hibernate.validator.constraints.time.DurationMin;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * Settings of the API, bound from {@code imagegen.*}; {@code application.yml} maps the documented
 * environment variables ({@code PERCHANCE_WORKER_URL}, {@code WORKER_TOKEN}, {@code WORKER_TIMEOUT},
 * {@code MAX_PROMPT_LENGTH}) onto these properties. Every validation message names the environment
 * variable an operator has to fix.
 *
 * @param worker how the API reaches its workers
 * @param maxPromptLength the most characters (Unicode code points, after trimming) a prompt or a
 * negative prompt may have; env {@code MAX_PROMPT_LENGTH}, default 1000
 * @param maxBodySize the largest {@code POST /generate} JSON body accepted; larger bodies get 413
 * @param health how worker health is probed and cached
 */
@Validated
@ConfigurationProperties("imagegen")
public record ApiProperties(@Valid @NotNull Worker worker,
		@DefaultValue("1000") @Min(value = 1, message = "MAX_PROMPT_LENGTH must be at least 1") @Max(
				value = 100_000, message = "MAX_PROMPT_LENGTH must be at most 100000") int maxPromptLength,
		@DefaultValue("64KB") @NotNull DataSize maxBodySize, @Valid @NotNull Health health) {

	/**
	 * Fills in defaults for nested groups that are absent from the environment.
	 */
	public ApiProperties {
		if (worker == null) {
			worker = new Worker(null, null, null, null, null, null, 0);
		}
		if (health == null) {
			health = new Health(null, null);
		}
		if (maxBodySize == null) {
			maxBodySize = DataSize.ofKilobytes(64);
		}
	}

	/**
	 * Connection settings for the worker(s).
	 *
	 * @param urls base URL of the worker, or several separated by commas; env {@code PERCHANCE_WORKER_URL}.
	 * Empty means "not configured": the API still starts, reports DOWN and answers 503.
	 * @param token bearer token sent to the worker; env {@code WORKER_TOKEN}; empty means none
	 * @param timeout the longest the API waits for a worker's answer to one generation; env
	 * {@code WORKER_TIMEOUT}, default 150s (above the worker's own 120s deadline)
	 * @param connectTimeout the longest a TCP connect to a worker may take before the worker counts as
	 * unreachable
	 * @param unreachableBackoff how long a worker that refused a connection is skipped by the balancer
	 * @param retryAfter the {@code Retry-After} the API sends when it has no reachable worker
	 * @param maxConnections the size of the connection pool towards the workers (all workers together)
	 */
	public record Worker(String urls, String token,
			@DurationMin(nanos = 1, message = "WORKER_TIMEOUT must be a positive duration, e.g. 150s") Duration timeout,
			@DurationMin(millis = 1, message = "imagegen.worker.connect-timeout must be positive") Duration connectTimeout,
			@DurationMin(nanos = 0, message = "imagegen.worker.unreachable-backoff must not be negative") Duration unreachableBackoff,
			@DurationMin(seconds = 1, message = "imagegen.worker.retry-after must be at least 1s") Duration retryAfter,
			@Min(value = 0, message = "imagegen.worker.max-connections must not be negative") int maxConnections) {

		/**
		 * Applies defaults and checks that every URL in {@code PERCHANCE_WORKER_URL} is an absolute
		 * http(s) URL, so that a typo stops the start instead of failing every request.
		 */
		public Worker {
			urls = (urls == null) ? "" : urls.trim();
			token = (token == null) ? "" : token.trim();
			timeout = (timeout != null) ? timeout : Duration.ofSeconds(150);
			connectTimeout = (connectTimeout != null) ? connectTimeout : Duration.ofSeconds(2);
			unreachableBackoff = (unreachableBackoff != null) ? unreachableBackoff : Duration.ofSeconds(5);
			retryAfter = (retryAfter != null) ? retryAfter : Duration.ofSeconds(5);
			maxConnections = (maxConnections > 0) ? maxConnections : 500;
			parseUrls(urls);
		}

		/**
		 * The worker base URLs, without trailing slash, in configuration order.
		 * @return the parsed URLs; empty when {@code PERCHANCE_WORKER_URL} is not set
		 */
		public List<URI> endpoints() {
			return parseUrls(this.urls);
		}

		private static List<URI> parseUrls(String urls) {
			List<URI> result = new ArrayList<>();
			if (urls.isEmpty()) {
				return result;
			}
			for (String part : urls.split(",")) {
				String candidate = part.trim();
				if (candidate.isEmpty()) {
					throw new IllegalArgumentException("PERCHANCE_WORKER_URL contains an empty entry; "
							+ "give one http(s) URL or several separated by commas");
				}
				URI uri;
				try {
					uri = new URI(candidate);
				}
				catch (URISyntaxException ex) {
					throw new IllegalArgumentException(
							"PERCHANCE_WORKER_URL entry '" + candidate + "' is not a valid URL: " + ex.getReason());
				}
				String scheme = (uri.getScheme() != null) ? uri.getScheme().toLowerCase(Locale.ROOT) : "";
				if (!scheme.equals("http") && !scheme.equals("https")) {
					throw new IllegalArgumentException("PERCHANCE_WORKER_URL entry '" + candidate
							+ "' must be an absolute http:// or https:// URL, e.g. http://worker:8081");
				}
				if (uri.getHost() == null || uri.getHost().isEmpty()) {
					throw new IllegalArgumentException(
							"PERCHANCE_WORKER_URL entry '" + candidate + "' has no host name");
				}
				if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
					throw new IllegalArgumentException("PERCHANCE_WORKER_URL entry '" + candidate
							+ "' must not have a query or fragment; give the worker's base URL");
				}
				String text = stripTrailingSlashes(uri.toString());
				if (result.stream().anyMatch((u) -> u.toString().equals(text))) {
					throw new IllegalArgumentException(
							"PERCHANCE_WORKER_URL lists '" + candidate + "' more than once");
				}
				result.add(URI.create(text));
			}
			return List.copyOf(result);
		}

		private static String stripTrailingSlashes(String text) {
			String result = text;
			while (result.endsWith("/")) {
				result = result.substring(0, result.length() - 1);
			}
			return result;
		}

	}

	/**
	 * How worker health is probed for {@code /health} and the readiness group.
	 *
	 * @param timeout the longest one worker health probe may take
	 * @param cacheTtl how long a probe result is reused, so that a monitor polling every second costs a
	 * worker almost nothing
	 */
	public record Health(
			@DurationMin(millis = 1, message = "imagegen.health.timeout must be positive") Duration timeout,
			@DurationMin(nanos = 0, message = "imagegen.health.cache-ttl must not be negative") Duration cacheTtl) {

		/**
		 * Applies defaults.
		 */
		public Health {
			timeout = (timeout != null) ? timeout : Duration.ofSeconds(2);
			cacheTtl = (cacheTtl != null) ? cacheTtl : Duration.ofSeconds(5);
		}

	}

}

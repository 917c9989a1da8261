package dev.imagegen.api.config;

import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.validation.BindValidationException;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;
import org.springframework.core.Ordered;

/**
 * Explains a start-up failure caused by a malformed setting in terms of the environment variable an
 * operator sets ({@code WORKER_TIMEOUT}, not {@code imagegen.worker.timeout}). Registered in
 * {@code META-INF/spring.factories} ahead of Spring Boot's generic bind analyzers.
 */
public class EnvironmentVariableFailureAnalyzer implements FailureAnalyzer, Ordered {

	/** Property to the environment variable that feeds it ({@code application.yml} maps them). */
	private static final Map<String, String> VARIABLES = new LinkedHashMap<>();

	private static final Map<String, String> HINTS = Map.ofEntries(Map.entry("PORT", "a TCP port number such as 8080"),
			Map.entry("PERCHANCE_WORKER_URL", "one http(s) URL or several separated by commas, e.g. http://worker:8081"),
			Map.entry("WORKER_TOKEN", "the bearer token the worker expects"),
			Map.entry("WORKER_TIMEOUT", "a positive Spring duration such as 150s or 2m"),
			Map.entry("MAX_PROMPT_LENGTH", "a whole number such as 1000"),
			Map.entry("HEADER_TIMEOUT", "a positive Spring duration such as 10s"),
			Map.entry("IDLE_TIMEOUT", "a positive Spring duration such as 60s"),
			Map.entry("API_KEYS_FILE", "the path of a readable JSON keys file (docs/configuration.md)"),
			Map.entry("REQUIRE_API_KEY", "true or false (true needs API_KEYS_FILE)"),
			Map.entry("TRUSTED_PROXIES", "comma-separated IP addresses or CIDRs, e.g. 10.0.0.0/8,192.168.1.10"),
			Map.entry("IMAGE_CACHE_SIZE", "a data size such as 256MB or 1GB (0 turns the cache off)"),
			Map.entry("IMAGE_CACHE_TTL", "a positive Spring duration such as 24h or 30m"),
			Map.entry("OPENAI_IMAGE_STORE_SIZE", "a data size of at least 1MB such as 256MB or 1GB"),
			Map.entry("JOB_RETENTION", "a Spring duration of at least 1s such as 1h or 30m"),
			Map.entry("MAX_JOBS", "a whole number of at least 1 such as 10000"),
			Map.entry("LOG_FORMAT", "text or json"),
			Map.entry("OTEL_EXPORTER_OTLP_ENDPOINT", "an OTLP/HTTP collector's base URL such as http://collector:4318"),
			Map.entry("REDIS_URL", "redis://[user:password@]host:port[/db] or rediss://… for TLS, e.g. redis://redis:6379"),
			Map.entry("REDIS_PREFIX", "the start of every Redis key, e.g. imagegen: (the same on every API and worker)"),
			Map.entry("QUEUE_CAPACITY", "a whole number of at least 1 such as 16 (entries per live worker session)"));

	static {
		VARIABLES.put("server.port", "PORT");
		VARIABLES.put("imagegen.worker.urls", "PERCHANCE_WORKER_URL");
		VARIABLES.put("imagegen.worker.token", "WORKER_TOKEN");
		VARIABLES.put("imagegen.worker.timeout", "WORKER_TIMEOUT");
		VARIABLES.put("imagegen.max-prompt-length", "MAX_PROMPT_LENGTH");
		VARIABLES.put("imagegen.http.header-timeout", "HEADER_TIMEOUT");
		VARIABLES.put("imagegen.http.idle-timeout", "IDLE_TIMEOUT");
		VARIABLES.put("imagegen.cache.size", "IMAGE_CACHE_SIZE");
		VARIABLES.put("imagegen.cache.ttl", "IMAGE_CACHE_TTL");
		VARIABLES.put("imagegen.clients.api-keys-file", "API_KEYS_FILE");
		VARIABLES.put("imagegen.clients.require-api-key", "REQUIRE_API_KEY");
		VARIABLES.put("imagegen.clients.trusted-proxies", "TRUSTED_PROXIES");
		VARIABLES.put("imagegen.clients.anon-generations-per-minute", "ANON_GENERATIONS_PER_MINUTE");
		VARIABLES.put("imagegen.clients.anon-max-concurrent", "ANON_MAX_CONCURRENT");
		VARIABLES.put("imagegen.clients.key-generations-per-minute", "KEY_GENERATIONS_PER_MINUTE");
		VARIABLES.put("imagegen.clients.key-max-concurrent", "KEY_MAX_CONCURRENT");
		VARIABLES.put("imagegen.clients.requests-per-minute", "CLIENT_REQUESTS_PER_MINUTE");
		VARIABLES.put("imagegen.openai.image-store-size", "OPENAI_IMAGE_STORE_SIZE");
		VARIABLES.put("imagegen.jobs.retention", "JOB_RETENTION");
		VARIABLES.put("imagegen.jobs.max-jobs", "MAX_JOBS");
		VARIABLES.put("imagegen.observability.log-format", "LOG_FORMAT");
		VARIABLES.put("imagegen.observability.otlp-endpoint", "OTEL_EXPORTER_OTLP_ENDPOINT");
		VARIABLES.put("spring.data.redis.url", "REDIS_URL");
		VARIABLES.put("imagegen.redis.prefix", "REDIS_PREFIX");
		VARIABLES.put("imagegen.redis.queue-capacity", "QUEUE_CAPACITY");
	}

	/**
	 * Boot's exception for a {@code spring.data.redis.url} it cannot parse (package-private in Boot, so named here).
	 * Its message and Boot's own analysis quote the URL, password included: this analyzer, which runs first, never does.
	 */
	private static final String REDIS_URL_SYNTAX = "org.springframework.boot.data.redis.autoconfigure.DataRedisUrlSyntaxException";

	@Override
	public FailureAnalysis analyze(Throwable failure) {
		for (Throwable current = failure; current != null; current = (current.getCause() != current) ? current.getCause() : null) {
			if (current.getClass().getName().equals(REDIS_URL_SYNTAX)) {
				return analysis("spring.data.redis.url", "not a redis:// or rediss:// URL that can be parsed (the value "
						+ "is not shown: it may hold a password)", failure);
			}
		}
		BindException bind = find(failure, BindException.class);
		if (bind != null) {
			return analysis(bind.getName().toString(), reasonOf(bind), failure);
		}
		InvalidConfigurationPropertyValueException invalid = find(failure,
				InvalidConfigurationPropertyValueException.class);
		if (invalid != null) {
			return analysis(invalid.getName(), (invalid.getReason() != null) ? invalid.getReason() : "invalid value",
					failure);
		}
		// A setting checked when its bean is built (the keys file is read then): the message starts with the variable.
		for (Throwable current = failure; current != null; current = (current.getCause() != current) ? current.getCause() : null) {
			if (current instanceof IllegalArgumentException && current.getMessage() != null) {
				for (Map.Entry<String, String> entry : VARIABLES.entrySet()) {
					if (current.getMessage().startsWith(entry.getValue() + " ")) {
						return analysis(entry.getKey(), current.getMessage(), failure);
					}
				}
			}
		}
		return null;
	}

	private static FailureAnalysis analysis(String property, String reason, Throwable failure) {
		String variable = variableFor(property, reason);
		if (variable == null) {
			return null;
		}
		String mapped = VARIABLES.entrySet()
			.stream()
			.filter((entry) -> entry.getValue().equals(variable))
			.map(Map.Entry::getKey)
			.findFirst()
			.orElse(property);
		String description = "Invalid value for environment variable " + variable + " (Spring property '" + mapped
				+ "'). Reason: " + reason;
		String action = "Set " + variable + " to " + HINTS.getOrDefault(variable, "a valid value")
				+ ", or unset it to use the default.";
		return new FailureAnalysis(description, action, failure);
	}

	private static <T extends Throwable> T find(Throwable failure, Class<T> type) {
		for (Throwable current = failure; current != null; current = current.getCause()) {
			if (type.isInstance(current)) {
				return type.cast(current);
			}
			if (current.getCause() == current) {
				break;
			}
		}
		return null;
	}

	private static String variableFor(String property, String reason) {
		String direct = VARIABLES.get(property);
		if (direct != null) {
			return direct;
		}
		// A whole group failed (a record's constructor or its validation): the message names the variable.
		// Longest first: PORT is also part of OTEL_EXPORTER_OTLP_ENDPOINT.
		return VARIABLES.values()
			.stream()
			.filter(reason::contains)
			.max(Comparator.comparingInt(String::length))
			.orElse(null);
	}

	private static String reasonOf(BindException bind) {
		Throwable current = bind.getCause();
		if (current instanceof BindValidationException validation) {
			return validation.getValidationErrors()
				.getAllErrors()
				.stream()
				.map((error) -> error.getDefaultMessage())
				.collect(Collectors.joining("; "));
		}
		String message = null;
		while (current != null) {
			if (current.getMessage() != null) {
				message = current.getMessage();
			}
			current = (current.getCause() != current) ? current.getCause() : null;
		}
		return (message != null) ? message : bind.getMessage();
	}

	@Override
	public int getOrder() {
		return Ordered.HIGHEST_PRECEDENCE;
	}

}

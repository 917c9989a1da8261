package dev.imagegen.worker.config;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.validation.BindValidationException;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.core.convert.ConversionFailedException;
import org.springframework.core.env.Environment;
import org.springframework.validation.FieldError;
import org.springframework.validation.ObjectError;

/**
 * Turns a configuration binding failure into a message that names the environment variable an operator sets
 * and the value it had (resolved, not the {@code ${VARIABLE:default}} placeholder of {@code application.yml}),
 * with the accepted values of an enum instead of Java's {@code No enum constant …}. The messages are quoted in
 * docs/configuration.md.
 */
class PropertyFailureAnalyzer extends AbstractFailureAnalyzer<BindException> {

	private static final Map<String, String> VARIABLES = Map.ofEntries(
			Map.entry("server.port", "PORT"), Map.entry("imagegen.worker.token", "WORKER_TOKEN"),
			Map.entry("imagegen.worker.metrics-token", "METRICS_TOKEN"),
			Map.entry("management.server.port", "MANAGEMENT_PORT"),
			Map.entry("imagegen.worker.http.header-timeout", "HEADER_TIMEOUT"),
			Map.entry("server.tomcat.connection-timeout", "HEADER_TIMEOUT"),
			Map.entry("imagegen.worker.http.idle-timeout", "IDLE_TIMEOUT"),
			Map.entry("server.tomcat.keep-alive-timeout", "IDLE_TIMEOUT"),
			Map.entry("imagegen.worker.perchance.base-url", "PERCHANCE_BASE_URL"),
			Map.entry("imagegen.worker.perchance.site-url", "PERCHANCE_SITE_URL"),
			Map.entry("imagegen.worker.browser.engine", "BROWSER_ENGINE"),
			Map.entry("imagegen.worker.browser.executable-path", "BROWSER_EXECUTABLE_PATH"),
			Map.entry("imagegen.worker.browser.headless", "BROWSER_HEADLESS"),
			Map.entry("imagegen.worker.browser.profile-dir", "BROWSER_PROFILE_DIR"),
			Map.entry("imagegen.worker.browser.sessions", "WORKER_SESSIONS"),
			Map.entry("imagegen.worker.browser.args", "BROWSER_ARGS"),
			Map.entry("imagegen.worker.browser.proxies", "BROWSER_PROXIES"),
			Map.entry("imagegen.worker.jobs.queue-capacity", "WORKER_QUEUE_CAPACITY"),
			Map.entry("imagegen.worker.jobs.generation-timeout", "GENERATION_TIMEOUT"),
			Map.entry("imagegen.worker.jobs.max-prompt-length", "MAX_PROMPT_LENGTH"),
			Map.entry("imagegen.observability.log-format", "LOG_FORMAT"),
			Map.entry("imagegen.redis.heartbeat-timeout", "WORKER_HEARTBEAT_TIMEOUT"),
			Map.entry("imagegen.redis.prefix", "REDIS_PREFIX"),
			Map.entry("imagegen.observability.otlp-endpoint", "OTEL_EXPORTER_OTLP_ENDPOINT"));

	private final Environment environment;

	PropertyFailureAnalyzer(Environment environment) {
		this.environment = environment;
	}

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, BindException cause) {
		String property = cause.getName().toString();
		String problem;
		FieldError fieldError = fieldError(cause);
		if (fieldError != null) {
			// A validation failure (e.g. WORKER_SESSIONS=0): the field names the property, not the record.
			property = property + "." + kebab(fieldError.getField());
			problem = fieldError.getDefaultMessage();
		}
		else {
			problem = rootMessage(cause);
		}
		String variable = variableOf(property);
		if (variable == null && problem != null) {
			// A record's own check failed: its message names the variable (and so the property) already.
			// Longest first: PORT is also part of OTEL_EXPORTER_OTLP_ENDPOINT.
			variable = VARIABLES.values()
				.stream()
				.filter(problem::contains)
				.max(Comparator.comparingInt(String::length))
				.orElse(null);
			if (variable != null) {
				return analysis(problem, null, variable, property, cause);
			}
		}
		Class<?> type = cause.getTarget().getType().resolve();
		if (type != null && type.isEnum() && fieldError == null) {
			problem = "must be one of " + Arrays.stream(type.getEnumConstants())
				.map((c) -> ((Enum<?>) c).name().toLowerCase(Locale.ROOT))
				.collect(Collectors.joining(", "));
		}
		else if (cause.getCause() instanceof ConversionFailedException) {
			// Java's parser messages ("For input string", "Invalid URI syntax…") do not say what is expected.
			problem = "is not a valid " + ((type != null) ? describe(type) : "value");
		}
		String value = value(cause, fieldError);
		String name = (variable != null) ? variable + " (" + property + ")" : property;
		String description = name + ((value != null) ? " = '" + value + "'" : "") + " " + problem;
		return analysis(description, value, variable, property, cause);
	}

	private static FailureAnalysis analysis(String description, String value, String variable, String property,
			BindException cause) {
		String action = "Fix " + ((variable != null) ? "the environment variable " + variable : "the property " + property)
				+ " (see docs/configuration.md for the accepted values) and start the worker again.";
		return new FailureAnalysis("Invalid worker configuration: " + description, action, cause);
	}

	private String value(BindException cause, FieldError fieldError) {
		Object raw = (cause.getProperty() != null) ? cause.getProperty().getValue()
				: (fieldError != null) ? fieldError.getRejectedValue() : null;
		if (raw == null) {
			return null;
		}
		String value = String.valueOf(raw);
		if (value.contains("${") && this.environment != null) {
			try {
				// The source holds the placeholder of application.yml: show what the operator actually set.
				value = this.environment.resolvePlaceholders(value);
			}
			catch (RuntimeException ex) {
				// Keep the placeholder; the variable name is in the message anyway.
			}
		}
		return value;
	}

	private static String variableOf(String property) {
		return VARIABLES.entrySet()
			.stream()
			.filter((e) -> property.equals(e.getKey()))
			.map(Map.Entry::getValue)
			.findFirst()
			.orElse(null);
	}

	private static FieldError fieldError(BindException cause) {
		if (cause.getCause() instanceof BindValidationException validation) {
			for (ObjectError error : validation.getValidationErrors().getAllErrors()) {
				if (error instanceof FieldError field) {
					return field;
				}
			}
		}
		return null;
	}

	private static String rootMessage(Throwable failure) {
		Throwable root = failure;
		while (root.getCause() != null) {
			root = root.getCause();
		}
		return root.getMessage();
	}

	private static String describe(Class<?> type) {
		return switch (type.getSimpleName()) {
			case "Duration" -> "duration (e.g. 120s, 2m)";
			case "int", "Integer", "long", "Long" -> "whole number";
			case "boolean", "Boolean" -> "boolean (true or false)";
			case "URI" -> "URL";
			default -> type.getSimpleName();
		};
	}

	private static String kebab(String field) {
		return field.replaceAll("([a-z])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
	}

}

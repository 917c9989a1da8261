package dev.imagegen.api.config;

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

	private static final Map<String, String> HINTS = Map.of("PORT", "a TCP port number such as 8080",
			"PERCHANCE_WORKER_URL", "one http(s) URL or several separated by commas, e.g. http://worker:8081",
			"WORKER_TOKEN", "the bearer token the worker expects", "WORKER_TIMEOUT",
			"a positive Spring duration such as 150s or 2m", "MAX_PROMPT_LENGTH", "a whole number such as 1000", "HEADER_TIMEOUT",
			"a positive Spring duration such as 10s", "IDLE_TIMEOUT", "a positive Spring duration such as 60s");

	static {
		VARIABLES.put("server.port", "PORT");
		VARIABLES.put("imagegen.worker.urls", "PERCHANCE_WORKER_URL");
		VARIABLES.put("imagegen.worker.token", "WORKER_TOKEN");
		VARIABLES.put("imagegen.worker.timeout", "WORKER_TIMEOUT");
		VARIABLES.put("imagegen.max-prompt-length", "MAX_PROMPT_LENGTH");
		VARIABLES.put("imagegen.http.header-timeout", "HEADER_TIMEOUT");
		VARIABLES.put("imagegen.http.idle-timeout", "IDLE_TIMEOUT");
	}

	@Override
	public FailureAnalysis analyze(Throwable failure) {
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
		for (String variable : VARIABLES.values()) {
			if (reason.contains(variable)) {
				return variable;
			}
		}
		return null;
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

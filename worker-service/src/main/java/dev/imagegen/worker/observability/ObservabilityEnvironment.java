package dev.imagegen.worker.observability;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * Turns the operator's two switches into Spring Boot's own settings before the logging system and the
 * tracing auto-configuration read them: {@code LOG_FORMAT=json} becomes
 * {@code logging.structured.format.console=ecs}; {@code OTEL_EXPORTER_OTLP_ENDPOINT} (the OpenTelemetry
 * convention: a base URL) becomes Boot's traces endpoint with {@code /v1/traces} appended. Without an
 * endpoint nothing is exported and nothing is sampled, so traces cost an id per request and nothing more.
 * Whatever an operator sets under Boot's own names wins: these values are added last. Malformed values
 * are left alone here and rejected when {@link ObservabilityProperties} is bound.
 */
public class ObservabilityEnvironment implements EnvironmentPostProcessor, Ordered {

	static final String SOURCE = "imagegenObservability";

	static final String TRACES_ENDPOINT = "management.opentelemetry.tracing.export.otlp.endpoint";

	/** Boot 3's name, still documented as an alias; Boot 4's auto-configuration reads only the new one. */
	static final String LEGACY_TRACES_ENDPOINT = "management.otlp.tracing.endpoint";

	static final String SAMPLING = "management.tracing.sampling.probability";

	@Override
	public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
		Map<String, Object> defaults = new HashMap<>();
		String format = environment.getProperty("imagegen.observability.log-format", "text");
		if (format.trim().toLowerCase(Locale.ROOT).equals("json")) {
			defaults.put("logging.structured.format.console", "ecs");
		}
		String endpoint = tracesEndpoint(environment);
		if (endpoint != null && !environment.containsProperty(TRACES_ENDPOINT)) {
			defaults.put(TRACES_ENDPOINT, endpoint);
		}
		// Sample every request when the spans go somewhere, none when they would be thrown away.
		defaults.put(SAMPLING, (endpoint != null) ? "1.0" : "0.0");
		environment.getPropertySources().addLast(new MapPropertySource(SOURCE, defaults));
	}

	private static String tracesEndpoint(ConfigurableEnvironment environment) {
		String own = environment.getProperty(TRACES_ENDPOINT);
		if (own != null && !own.isBlank()) {
			return own;
		}
		String legacy = environment.getProperty(LEGACY_TRACES_ENDPOINT);
		if (legacy != null && !legacy.isBlank()) {
			return legacy;
		}
		String base = environment.getProperty("imagegen.observability.otlp-endpoint");
		if (base == null || base.isBlank() || !(base.startsWith("http://") || base.startsWith("https://"))) {
			return null;
		}
		String trimmed = base.trim();
		return (trimmed.endsWith("/") ? trimmed.substring(0, trimmed.length() - 1) : trimmed) + "/v1/traces";
	}

	@Override
	public int getOrder() {
		// After the config data (application.yml, which maps the variables) has been loaded.
		return Ordered.LOWEST_PRECEDENCE;
	}

}

package dev.imagegen.api.observability;

import java.net.URI;

import jakarta.validation.constraints.NotNull;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.annotation.Validated;

/**
 * Logging and tracing settings ({@code LOG_FORMAT}, {@code OTEL_EXPORTER_OTLP_ENDPOINT}). They take effect
 * through {@link ObservabilityEnvironment} before the logging system starts; binding them here is what
 * checks them, so that a malformed value stops the start-up with a message naming the variable.
 *
 * @param logFormat {@code text} (human lines) or {@code json} (ECS structured lines)
 * @param otlpEndpoint base URL of an OTLP/HTTP collector ({@code /v1/traces} is appended), or null for no export
 */
@ConfigurationProperties("imagegen.observability")
@Validated
public record ObservabilityProperties(@NotNull LogFormat logFormat, URI otlpEndpoint) {

	/**
	 * Checks the values.
	 * @param logFormat the log format
	 * @param otlpEndpoint the collector's base URL, or null
	 */
	public ObservabilityProperties {
		if (otlpEndpoint != null && !otlpEndpoint.toString().isEmpty() && (!otlpEndpoint.isAbsolute()
				|| !("http".equals(otlpEndpoint.getScheme()) || "https".equals(otlpEndpoint.getScheme())))) {
			throw new IllegalArgumentException(
					"OTEL_EXPORTER_OTLP_ENDPOINT (imagegen.observability.otlp-endpoint) must be an absolute http(s) URL "
							+ "such as http://collector:4318, but was '" + otlpEndpoint + "'");
		}
	}

}

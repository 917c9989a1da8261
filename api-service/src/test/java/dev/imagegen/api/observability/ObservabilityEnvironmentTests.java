package dev.imagegen.api.observability;

import java.util.Map;

import org.junit.jupiter.api.Test;

import org.springframework.boot.SpringApplication;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * How {@code LOG_FORMAT} and {@code OTEL_EXPORTER_OTLP_ENDPOINT} (as mapped by {@code application.yml})
 * become Spring Boot's logging and tracing settings.
 */
class ObservabilityEnvironmentTests {

	private static StandardEnvironment apply(Map<String, Object> properties) {
		StandardEnvironment environment = new StandardEnvironment();
		environment.getPropertySources().addFirst(new MapPropertySource("test", properties));
		new ObservabilityEnvironment().postProcessEnvironment(environment, new SpringApplication());
		return environment;
	}

	@Test
	void jsonSwitchesTheConsoleToEcs() {
		assertThat(apply(Map.of("imagegen.observability.log-format", "json"))
			.getProperty("logging.structured.format.console")).isEqualTo("ecs");
		assertThat(apply(Map.of("imagegen.observability.log-format", "JSON"))
			.getProperty("logging.structured.format.console")).isEqualTo("ecs");
	}

	@Test
	void textKeepsTheHumanFormat() {
		assertThat(apply(Map.of("imagegen.observability.log-format", "text"))
			.getProperty("logging.structured.format.console")).isNull();
		assertThat(apply(Map.of()).getProperty("logging.structured.format.console")).isNull();
	}

	@Test
	void withoutAnEndpointNothingIsExportedOrSampled() {
		StandardEnvironment environment = apply(Map.of("imagegen.observability.otlp-endpoint", ""));
		assertThat(environment.containsProperty(ObservabilityEnvironment.TRACES_ENDPOINT)).isFalse();
		assertThat(environment.getProperty(ObservabilityEnvironment.SAMPLING)).isEqualTo("0.0");
	}

	@Test
	void theOpenTelemetryBaseUrlGetsTheTracesPath() {
		StandardEnvironment environment = apply(
				Map.of("imagegen.observability.otlp-endpoint", "http://collector:4318/"));
		assertThat(environment.getProperty(ObservabilityEnvironment.TRACES_ENDPOINT))
			.isEqualTo("http://collector:4318/v1/traces");
		assertThat(environment.getProperty(ObservabilityEnvironment.SAMPLING)).isEqualTo("1.0");
	}

	@Test
	void bootsOwnSettingsWin() {
		StandardEnvironment environment = apply(Map.of("imagegen.observability.otlp-endpoint", "http://a:4318",
				"management.otlp.tracing.endpoint", "http://b:4318/v1/traces",
				ObservabilityEnvironment.SAMPLING, "0.25"));
		assertThat(environment.getProperty(ObservabilityEnvironment.TRACES_ENDPOINT))
			.isEqualTo("http://b:4318/v1/traces");
		assertThat(environment.getProperty(ObservabilityEnvironment.SAMPLING)).isEqualTo("0.25");
	}

}

package dev.imagegen.worker.config;

import java.util.Map;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;

import dev.imagegen.worker.WorkerApplication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * A malformed environment variable stops start-up with a message that names it once, with the value it had.
 * These are the messages docs/configuration.md quotes.
 */
class ConfigurationTests {

	@ParameterizedTest
	@CsvSource(delimiter = '|', value = {
			"GENERATION_TIMEOUT|abc|GENERATION_TIMEOUT (imagegen.worker.jobs.generation-timeout) = 'abc' is not a valid duration (e.g. 120s, 2m)",
			"GENERATION_TIMEOUT|-5s|GENERATION_TIMEOUT (imagegen.worker.jobs.generation-timeout) must be a positive duration, e.g. 120s, but was PT-5S",
			"HEADER_TIMEOUT|soon|HEADER_TIMEOUT (imagegen.worker.http.header-timeout) = 'soon' is not a valid duration (e.g. 120s, 2m)",
			"IDLE_TIMEOUT|0s|IDLE_TIMEOUT (imagegen.worker.http.idle-timeout) must be a positive duration, e.g. 120s, but was PT0S",
			"PERCHANCE_BASE_URL|not a url|PERCHANCE_BASE_URL (imagegen.worker.perchance.base-url) = 'not a url' is not a valid URL",
			"PERCHANCE_SITE_URL|ftp://example.org|PERCHANCE_SITE_URL (imagegen.worker.perchance.site-url) must be an absolute http(s) URL, but was 'ftp://example.org'",
			"WORKER_SESSIONS|0|WORKER_SESSIONS (imagegen.worker.browser.sessions) = '0' must be greater than or equal to 1",
			"WORKER_SESSIONS|many|WORKER_SESSIONS (imagegen.worker.browser.sessions) = 'many' is not a valid whole number",
			"WORKER_SESSIONS|100|WORKER_SESSIONS (imagegen.worker.browser.sessions) = '100' must be less than or equal to 64",
			"WORKER_QUEUE_CAPACITY|-1|WORKER_QUEUE_CAPACITY (imagegen.worker.jobs.queue-capacity) = '-1' must be greater than or equal to 1",
			"MAX_PROMPT_LENGTH|0|MAX_PROMPT_LENGTH (imagegen.worker.jobs.max-prompt-length) = '0' must be greater than or equal to 1",
			"BROWSER_ENGINE|opera|BROWSER_ENGINE (imagegen.worker.browser.engine) = 'opera' must be one of firefox, chromium, webkit",
			"BROWSER_HEADLESS|maybe|BROWSER_HEADLESS (imagegen.worker.browser.headless) = 'maybe' is not a valid boolean (true or false)",
			"WORKER_HEARTBEAT_TIMEOUT|2s|WORKER_HEARTBEAT_TIMEOUT (imagegen.redis.heartbeat-timeout) must be at least 3s, but was PT2S",
			"WORKER_HEARTBEAT_TIMEOUT|often|WORKER_HEARTBEAT_TIMEOUT (imagegen.redis.heartbeat-timeout) = 'often' is not a valid duration (e.g. 120s, 2m)",
			"LOG_FORMAT|xml|LOG_FORMAT (imagegen.observability.log-format) = 'xml' must be one of text, json",
			"OTEL_EXPORTER_OTLP_ENDPOINT|ftp://collector|OTEL_EXPORTER_OTLP_ENDPOINT (imagegen.observability.otlp-endpoint) must be an absolute http(s) URL such as http://collector:4318, but was 'ftp://collector'" })
	void malformedValuesStopStartUpNamingTheVariableOnceWithItsValue(String variable, String value, String message) {
		Map<String, Object> setting = Map.of(variable, value);
		Throwable failure = catchThrowable(() -> new SpringApplicationBuilder(WorkerApplication.class)
			.web(WebApplicationType.NONE)
			.properties(variable + "=" + value, "spring.main.banner-mode=off", "logging.level.root=OFF")
			.run()
			.close());

		assertThat(failure).isNotNull();
		StandardEnvironment environment = new StandardEnvironment();
		environment.getPropertySources().addFirst(new MapPropertySource("test", setting));
		FailureAnalysis analysis = new PropertyFailureAnalyzer(environment).analyze(failure);
		assertThat(analysis).isNotNull();
		assertThat(analysis.getDescription()).isEqualTo("Invalid worker configuration: " + message);
		assertThat(analysis.getDescription().split(variable, -1)).as("the variable is named once").hasSize(2);
		assertThat(analysis.getDescription()).doesNotContain("${", "No enum constant", "Failed to convert");
		assertThat(analysis.getAction()).isEqualTo("Fix the environment variable " + variable
				+ " (see docs/configuration.md for the accepted values) and start the worker again.");
	}

}

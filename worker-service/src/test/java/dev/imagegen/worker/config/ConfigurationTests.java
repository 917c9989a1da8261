package dev.imagegen.worker.config;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.diagnostics.FailureAnalysis;

import dev.imagegen.worker.WorkerApplication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * A malformed environment variable stops start-up with a message that names it.
 */
class ConfigurationTests {

	@ParameterizedTest
	@CsvSource(delimiter = '|', value = { "GENERATION_TIMEOUT=abc|GENERATION_TIMEOUT",
			"GENERATION_TIMEOUT=-5s|GENERATION_TIMEOUT", "PERCHANCE_BASE_URL=not a url|PERCHANCE_BASE_URL",
			"PERCHANCE_SITE_URL=ftp://example.org|PERCHANCE_SITE_URL", "WORKER_SESSIONS=0|WORKER_SESSIONS",
			"WORKER_SESSIONS=many|WORKER_SESSIONS", "WORKER_SESSIONS=100|WORKER_SESSIONS", "WORKER_QUEUE_CAPACITY=-1|WORKER_QUEUE_CAPACITY",
			"BROWSER_ENGINE=opera|BROWSER_ENGINE", "BROWSER_HEADLESS=maybe|BROWSER_HEADLESS" })
	void malformedValuesStopStartUpNamingTheVariable(String setting, String variable) {
		Throwable failure = catchThrowable(() -> new SpringApplicationBuilder(WorkerApplication.class)
			.web(WebApplicationType.NONE)
			.properties(setting, "spring.main.banner-mode=off", "logging.level.root=OFF")
			.run()
			.close());

		assertThat(failure).isNotNull();
		FailureAnalysis analysis = new PropertyFailureAnalyzer().analyze(failure);
		assertThat(analysis).isNotNull();
		assertThat(analysis.getDescription()).contains(variable);
		assertThat(analysis.getAction()).contains(variable);
	}

}

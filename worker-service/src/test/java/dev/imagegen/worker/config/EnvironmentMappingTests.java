package dev.imagegen.worker.config;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.PropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.io.ClassPathResource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The environment variables of docs/configuration.md reach the properties they govern, through the real
 * {@code application.yml}, without starting a browser.
 */
class EnvironmentMappingTests {

	@Test
	void variablesReachTheirProperties() throws IOException {
		StandardEnvironment environment = environment(Map.of("MAX_PROMPT_LENGTH", "2000", "HEADER_TIMEOUT", "3s",
				"IDLE_TIMEOUT", "20s", "METRICS_TOKEN", "scrape-me", "PORT", "9123"));

		WorkerProperties properties = bind(environment);

		assertThat(properties.jobs().maxPromptLength()).isEqualTo(2000);
		assertThat(properties.http().headerTimeout()).isEqualTo(Duration.ofSeconds(3));
		assertThat(properties.http().idleTimeout()).isEqualTo(Duration.ofSeconds(20));
		assertThat(properties.metricsToken()).isEqualTo("scrape-me");
		assertThat(environment.getProperty("server.tomcat.connection-timeout")).isEqualTo("3s");
		assertThat(environment.getProperty("server.tomcat.keep-alive-timeout")).isEqualTo("20s");
		assertThat(properties.browser().profileDir())
			.isEqualTo(Path.of(System.getProperty("java.io.tmpdir"), "imagegen-worker-profiles-9123"));
	}

	@Test
	void defaultsFollowTheContract() throws IOException {
		StandardEnvironment environment = environment(Map.of());

		WorkerProperties properties = bind(environment);

		assertThat(properties.jobs().maxPromptLength()).isEqualTo(1000);
		assertThat(properties.http().headerTimeout()).isEqualTo(Duration.ofSeconds(10));
		assertThat(properties.http().idleTimeout()).isEqualTo(Duration.ofSeconds(60));
		assertThat(properties.metricsToken()).isNull();
		assertThat(environment.getProperty("management.server.port")).isEmpty();
		assertThat(properties.browser().profileDir())
			.isEqualTo(Path.of(System.getProperty("java.io.tmpdir"), "imagegen-worker-profiles-8081"));
	}

	private static StandardEnvironment environment(Map<String, Object> variables) throws IOException {
		StandardEnvironment environment = new StandardEnvironment();
		environment.getPropertySources().addFirst(new MapPropertySource("variables", variables));
		for (PropertySource<?> source : new YamlPropertySourceLoader().load("application.yml",
				new ClassPathResource("application.yml"))) {
			environment.getPropertySources().addLast(source);
		}
		return environment;
	}

	private static WorkerProperties bind(StandardEnvironment environment) {
		return new Binder(ConfigurationPropertySources.get(environment),
				new org.springframework.boot.context.properties.bind.PropertySourcesPlaceholdersResolver(environment))
			.bindOrCreate("imagegen.worker", WorkerProperties.class);
	}

}

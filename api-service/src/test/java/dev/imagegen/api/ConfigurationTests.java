package dev.imagegen.api;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Start-up configuration: a malformed environment value stops the API with a message naming the
 * variable; a missing {@code PERCHANCE_WORKER_URL} does not, and an unreachable worker is reported.
 */
@ExtendWith(OutputCaptureExtension.class)
class ConfigurationTests {

	private static ConfigurableApplicationContext start(String... properties) {
		return new SpringApplicationBuilder(ApiApplication.class).properties("PORT=0", "server.address=127.0.0.1")
			.properties(properties)
			.run();
	}

	@ParameterizedTest(name = "{0}={1}")
	@CsvSource(delimiter = '|', value = { "PERCHANCE_WORKER_URL | ftp://worker:21", "PERCHANCE_WORKER_URL | worker:8081",
			"PERCHANCE_WORKER_URL | http://", "PERCHANCE_WORKER_URL | http://bad host:8081",
			"PERCHANCE_WORKER_URL | http://a:8081,,http://b:8081", "WORKER_TIMEOUT | -5s", "WORKER_TIMEOUT | 0s",
			"WORKER_TIMEOUT | soon", "MAX_PROMPT_LENGTH | many", "MAX_PROMPT_LENGTH | 0", "PORT | eighty",
			"IMAGE_CACHE_SIZE | lots", "IMAGE_CACHE_SIZE | -1MB", "IMAGE_CACHE_TTL | -1h", "IMAGE_CACHE_TTL | forever",
			"TRUSTED_PROXIES | proxy.example", "API_KEYS_FILE | /nonexistent/keys.json", "REQUIRE_API_KEY | maybe",
			"ANON_GENERATIONS_PER_MINUTE | 0", "CLIENT_REQUESTS_PER_MINUTE | many",
			"OPENAI_IMAGE_STORE_SIZE | lots", "OPENAI_IMAGE_STORE_SIZE | 1KB",
			"HEADER_TIMEOUT | 0s",
			"HEADER_TIMEOUT | soon", "IDLE_TIMEOUT | -1s", "IDLE_TIMEOUT | later", "JOB_RETENTION | 0s",
			"JOB_RETENTION | forever", "MAX_JOBS | 0", "MAX_JOBS | lots", "QUEUE_CAPACITY | 0",
			"QUEUE_CAPACITY | many" })
	void malformedValueStopsStartUpNamingTheVariable(String variable, String value, CapturedOutput output) {
		assertThatThrownBy(() -> start("PERCHANCE_WORKER_URL=http://127.0.0.1:9", variable + "=" + value).close())
			.isInstanceOf(Exception.class);
		assertThat(output.getAll()).contains("APPLICATION FAILED TO START")
			.contains("Invalid value for environment variable " + variable);
	}

	@ParameterizedTest(name = "REDIS_URL={0}")
	@CsvSource(delimiter = '|', value = { "http://user:s3cret-pw@redis:6379", "redis://:s3cret-pw@bad host:6379",
			"redis://:s3cret-pw@redis:notaport" })
	void malformedRedisUrlStopsStartUpNamingItWithoutItsPassword(String url, CapturedOutput output) {
		assertThatThrownBy(() -> start("REDIS_URL=" + url).close()).isInstanceOf(Exception.class);
		assertThat(output.getAll()).contains("APPLICATION FAILED TO START")
			.contains("Invalid value for environment variable REDIS_URL")
			.contains("Set REDIS_URL to redis://")
			.doesNotContain("s3cret-pw");
	}

	@Test
	void missingWorkerUrlStartsReportsDownAndSaysWhatToSet() {
		try (ConfigurableApplicationContext context = start()) {
			WebTestClient client = clientFor(context);
			expectHealthDown(client).jsonPath("$.detail")
				.value(String.class, (detail) -> assertThat(detail).contains("PERCHANCE_WORKER_URL"));
			client.get()
				.uri("/generate?prompt=fox")
				.exchange()
				.expectStatus()
				.isEqualTo(503)
				.expectHeader()
				.exists("Retry-After")
				.expectBody()
				.jsonPath("$.type")
				.isEqualTo("https://imagegen.dev/problems/worker-not-configured")
				.jsonPath("$.detail")
				.value(String.class, (detail) -> assertThat(detail).contains("PERCHANCE_WORKER_URL"));
			client.get().uri("/actuator/health/liveness").exchange().expectStatus().isOk();
			client.get().uri("/livez").exchange().expectStatus().isOk();
			client.get().uri("/actuator/health/readiness").exchange().expectStatus().isEqualTo(503);
			client.get().uri("/readyz").exchange().expectStatus().isEqualTo(503);
		}
	}

	@Test
	void unreachableWorkerIsAQuick503WithRetryAfterAndDownOnHealth() throws IOException {
		int closedPort;
		try (ServerSocket socket = new ServerSocket(0)) {
			closedPort = socket.getLocalPort();
		}
		try (ConfigurableApplicationContext context = start("PERCHANCE_WORKER_URL=http://127.0.0.1:" + closedPort,
				"WORKER_TIMEOUT=60s")) {
			WebTestClient client = clientFor(context);
			long start = System.nanoTime();
			RetryableProblems.expectGenerate503(client, "5", "https://imagegen.dev/problems/worker-unavailable");
			assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
			expectHealthDown(client).jsonPath("$.workers[0].url")
				.isEqualTo("http://127.0.0.1:" + closedPort)
				.jsonPath("$.workers[0].status")
				.isEqualTo("DOWN")
				.jsonPath("$.workers[0].detail")
				.isNotEmpty();
			client.get().uri("/actuator/health/liveness").exchange().expectStatus().isOk();
			client.get().uri("/actuator/health/readiness").exchange().expectStatus().isEqualTo(503);
		}
	}

	private static WebTestClient.BodyContentSpec expectHealthDown(WebTestClient client) {
		return client.get()
			.uri("/health")
			.exchange()
			.expectStatus()
			.isEqualTo(503)
			.expectBody()
			.jsonPath("$.status")
			.isEqualTo("DOWN");
	}

	private static WebTestClient clientFor(ConfigurableApplicationContext context) {
		int port = ((WebServerApplicationContext) context).getWebServer().getPort();
		return WebTestClient.bindToServer().baseUrl("http://127.0.0.1:" + port).responseTimeout(Duration.ofSeconds(20)).build();
	}

}

package dev.imagegen.worker.health;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import dev.imagegen.worker.support.Emulator;
import dev.imagegen.worker.support.WorkerTestBase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A browser that cannot start: the HTTP server still answers, liveness is UP, readiness is not, {@code /health}
 * is DOWN and jobs are refused with {@code browser-unavailable}.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@DirtiesContext
class NoBrowserTests {

	private static final HttpClient HTTP = HttpClient.newHttpClient();

	private static final JsonMapper JSON = JsonMapper.builder().build();

	@LocalServerPort
	private int port;

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		registry.add("imagegen.worker.perchance.base-url", () -> Emulator.get().baseUrl());
		registry.add("imagegen.worker.perchance.site-url", () -> Emulator.get().baseUrl());
		registry.add("imagegen.worker.browser.engine", () -> "chromium");
		registry.add("imagegen.worker.browser.executable-path", () -> "/nonexistent/chromium");
		registry.add("imagegen.worker.browser.profile-dir", () -> WorkerTestBase.createTempDir("no-browser").toString());
		registry.add("imagegen.worker.browser.relaunch-backoff-min", () -> "2s");
	}

	@Test
	void theWorkerAnswersButRefusesJobs() throws Exception {
		await().atMost(Duration.ofSeconds(30)).until(() -> get("/health").statusCode() == 503);

		JsonNode health = JSON.readTree(get("/health").body());
		assertThat(health.path("status").asString()).isEqualTo("DOWN");
		assertThat(health.path("sessions").get(0).path("state").asString()).isEqualTo("failed");
		assertThat(health.path("sessions").get(0).path("lastError").asString()).startsWith("browser");
		assertThat(get("/actuator/health/liveness").statusCode()).isEqualTo(200);
		assertThat(get("/actuator/health/readiness").statusCode()).isEqualTo(503);
		// The probe paths of the main port, which stay when MANAGEMENT_PORT moves the actuator.
		assertThat(get("/livez").statusCode()).isEqualTo(200);
		assertThat(get("/readyz").statusCode()).isEqualTo(503);

		HttpResponse<String> refused = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + "/generate"))
			.header("Content-Type", "application/json")
			.POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"anything\"}"))
			.build(), HttpResponse.BodyHandlers.ofString());
		assertThat(refused.statusCode()).isEqualTo(503);
		assertThat(JSON.readTree(refused.body()).path("type").asString())
			.isEqualTo("https://imagegen.dev/problems/browser-unavailable");
		assertThat(refused.headers().firstValue("Retry-After")).isPresent();
	}

	private HttpResponse<String> get(String path) throws Exception {
		return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + path)).build(),
				HttpResponse.BodyHandlers.ofString());
	}

}

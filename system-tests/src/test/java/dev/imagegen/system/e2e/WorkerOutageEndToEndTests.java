package dev.imagegen.system.e2e;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The worker dies (SIGKILL of its JVM and its browser, as in a crash or an OOM kill) while the API
 * keeps running: callers get a fast, typed refusal instead of hanging, {@code /health} says DOWN, and
 * once a worker is back on the same address the API serves images again without being restarted.
 */
class WorkerOutageEndToEndTests {

	/**
	 * "At once" as a property that can fail: far below the API's 150 s worker timeout, so an API that
	 * waited for a dead worker would make the request time out here.
	 */
	private static final Duration FAST = Duration.ofSeconds(15);

	private static final Duration TIMEOUT = Duration.ofSeconds(60);

	private static ImagegenSystem system;

	private static ApiClient api;

	@BeforeAll
	static void startSystem() {
		system = ImagegenSystem.start("outage");
		api = new ApiClient(system.api().baseUrl());
	}

	@AfterAll
	static void stopSystem() {
		if (system != null) {
			system.close();
		}
	}

	@Test
	void killedWorkerIsRefusedFastAndARestartedOneIsUsedWithoutRestartingTheApi() {
		HttpResponse<byte[]> before = api.generate(Map.of("prompt", "a lighthouse at dusk"), TIMEOUT);
		assertThat(before.statusCode()).as(() -> ApiClient.text(before) + system.logs()).isEqualTo(200);
		HttpResponse<byte[]> healthBefore = api.get("/health", FAST);
		assertThat(healthBefore.statusCode()).as(() -> ApiClient.text(healthBefore)).isEqualTo(200);
		assertThat(ApiClient.json(healthBefore).path("status").asString()).isEqualTo("UP");

		system.worker().kill();
		assertThat(system.worker().isAlive()).isFalse();

		HttpResponse<byte[]> during = api.generate(Map.of("prompt", "a lighthouse in a storm"), FAST);
		assertThat(during.statusCode()).as(() -> ApiClient.text(during)).isIn(502, 503);
		assertThat(during.headers().firstValue("Content-Type")).hasValueSatisfying(
				(type) -> assertThat(type).startsWith("application/problem+json"));
		JsonNode problem = ApiClient.json(during);
		assertThat(problem.path("status").asInt()).isEqualTo(during.statusCode());
		assertThat(problem.path("type").asString()).startsWith("https://imagegen.dev/problems/");
		if (during.statusCode() == 503) {
			assertThat(during.headers().firstValue("Retry-After")).isPresent();
		}
		await("API /health reports DOWN").atMost(Duration.ofSeconds(60))
			.pollInterval(Duration.ofMillis(500))
			.untilAsserted(() -> {
				HttpResponse<byte[]> health = api.get("/health", FAST);
				assertThat(health.statusCode()).as(() -> ApiClient.text(health)).isEqualTo(503);
				assertThat(ApiClient.json(health).path("status").asString()).isEqualTo("DOWN");
			});
		assertThat(system.api().isAlive()).isTrue();

		system.worker().start(ImagegenSystem.READINESS_DEADLINE);

		await("API serves images again").atMost(Duration.ofSeconds(90))
			.pollInterval(Duration.ofSeconds(1))
			.untilAsserted(() -> {
				HttpResponse<byte[]> after = api.generate(Map.of("prompt", "a lighthouse at dawn"), TIMEOUT);
				assertThat(after.statusCode()).as(() -> ApiClient.text(after)).isEqualTo(200);
				assertThat(Images.isPng(after.body())).isTrue();
			});
		await("API /health reports UP").atMost(Duration.ofSeconds(60))
			.pollInterval(Duration.ofMillis(500))
			.untilAsserted(() -> {
				HttpResponse<byte[]> health = api.get("/health", FAST);
				assertThat(health.statusCode()).as(() -> ApiClient.text(health)).isEqualTo(200);
				assertThat(ApiClient.json(health).path("status").asString()).isEqualTo("UP");
			});
	}

}

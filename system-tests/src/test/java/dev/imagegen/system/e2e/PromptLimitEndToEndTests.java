package dev.imagegen.system.e2e;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One {@code MAX_PROMPT_LENGTH} governs both services: with {@code 2000}, a prompt at the limit (non-ASCII, so
 * its query is long) is generated end to end, and one past it is the API's own {@code 400} naming the prompt,
 * never a worker's {@code 400} reaching the caller.
 */
class PromptLimitEndToEndTests {

	private static ImagegenSystem system;

	private static ApiClient api;

	@BeforeAll
	static void startSystem() {
		system = ImagegenSystem.start("prompt-limit", Map.of("MAX_PROMPT_LENGTH", "2000"));
		api = new ApiClient(system.api().baseUrl());
	}

	@AfterAll
	static void stopSystem() {
		if (system != null) {
			system.close();
		}
	}

	@Test
	void theLimitHoldsThroughBothServices() {
		HttpResponse<byte[]> atLimit = api.generate(Map.of("prompt", "ü".repeat(2000), "seed", "5"), Duration.ofSeconds(60));
		assertThat(atLimit.statusCode()).as(() -> ApiClient.text(atLimit)).isEqualTo(200);
		assertThat(atLimit.headers().firstValue("Content-Type")).hasValue("image/png");

		HttpResponse<byte[]> pastLimit = api.generate(Map.of("prompt", "ü".repeat(2001)), Duration.ofSeconds(20));
		assertThat(pastLimit.statusCode()).as(() -> ApiClient.text(pastLimit)).isEqualTo(400);
		assertThat(ApiClient.json(pastLimit).path("type").asString()).endsWith("/validation-error");
		assertThat(ApiClient.json(pastLimit).path("errors").get(0).path("parameter").asString()).isEqualTo("prompt");
	}

}

package dev.imagegen.system.e2e;

import java.awt.image.BufferedImage;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The public API driven over HTTP with the real packaged jars behind it: API → worker (headless
 * Chromium) → Perchance emulator. Checks what a client sees (bytes, sizes, headers, problem details)
 * and, through the emulator's request log, what reached "Perchance".
 * <p>
 * The rate-limit test runs last because it opens the worker's breaker for minutes on purpose.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GenerateEndToEndTests {

	/** Well below the API's worker timeout (150 s) and well above a generation here (under a second). */
	private static final Duration TIMEOUT = Duration.ofSeconds(60);

	private static ImagegenSystem system;

	private static ApiClient api;

	private String prompt;

	@BeforeAll
	static void startSystem() {
		system = ImagegenSystem.start("generate");
		api = new ApiClient(system.api().baseUrl());
	}

	@AfterAll
	static void stopSystem() {
		if (system != null) {
			system.close();
		}
	}

	@BeforeEach
	void clearUpstreamLog(TestInfo test) {
		system.emulatorControl().clearLog();
		// A prompt of its own per test, so that no test is answered from another test's cached image.
		this.prompt = "a red fox in the snow, " + test.getDisplayName() + " " + UUID.randomUUID();
	}

	@ParameterizedTest(name = "{0} is {1}x{2}")
	@CsvSource({ "portrait, 512, 768", "landscape, 768, 512", "square, 768, 768", "PORTRAIT, 512, 768" })
	@Order(1)
	void everyShapeHasItsExactSizeAsPng(String shape, int width, int height) {
		HttpResponse<byte[]> response = api.generate(Map.of("prompt", this.prompt, "shape", shape), TIMEOUT);

		assertThat(response.statusCode()).as(() -> ApiClient.text(response) + system.logs()).isEqualTo(200);
		assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
				(type) -> assertThat(type).startsWith("image/png"));
		assertThat(response.headers().firstValueAsLong("Content-Length")).hasValue(response.body().length);
		assertThat(Images.isPng(response.body())).as("PNG signature").isTrue();
		BufferedImage image = Images.decode(response.body());
		assertThat(image.getWidth()).isEqualTo(width);
		assertThat(image.getHeight()).isEqualTo(height);
		assertThat(response.headers().firstValue("X-Request-Id")).isPresent();
		assertThat(response.headers().firstValue("Content-Disposition")).hasValueSatisfying(
				(disposition) -> assertThat(disposition).startsWith("inline").contains(".png"));
		// The worker asked "Perchance" for that resolution, once.
		List<JsonNode> calls = system.emulatorControl().generateCalls();
		assertThat(calls).hasSize(1);
		assertThat(calls.get(0).path("body").asString()).contains("\"resolution\":\"" + width + "x" + height + "\"");
	}

	@Test
	@Order(2)
	void jpegIsServedAsJpegOfTheRequestedSize() {
		HttpResponse<byte[]> response = api.generate(
				Map.of("prompt", this.prompt, "shape", "landscape", "format", "jpeg"), TIMEOUT);

		assertThat(response.statusCode()).as(() -> ApiClient.text(response)).isEqualTo(200);
		assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
				(type) -> assertThat(type).startsWith("image/jpeg"));
		assertThat(Images.isJpeg(response.body())).as("JPEG SOI marker").isTrue();
		BufferedImage image = Images.decode(response.body());
		assertThat(image.getWidth()).isEqualTo(768);
		assertThat(image.getHeight()).isEqualTo(512);
	}

	@Test
	@Order(3)
	void fixedSeedGivesTheSameBytesAndEchoesTheSeed() {
		Map<String, String> query = Map.of("prompt", this.prompt, "seed", "4242", "guidance_scale", "8.5");

		HttpResponse<byte[]> first = api.generate(query, TIMEOUT);
		HttpResponse<byte[]> second = api.generate(query, TIMEOUT);

		assertThat(first.statusCode()).as(() -> ApiClient.text(first)).isEqualTo(200);
		assertThat(second.statusCode()).as(() -> ApiClient.text(second)).isEqualTo(200);
		assertThat(first.headers().firstValue("X-Seed")).hasValue("4242");
		assertThat(second.headers().firstValue("X-Seed")).hasValue("4242");
		assertThat(second.body()).isEqualTo(first.body());
		assertThat(first.headers().firstValue("Cache-Control")).hasValueSatisfying(
				(cache) -> assertThat(cache).contains("immutable"));
		assertThat(system.emulatorControl().generateCalls()).isNotEmpty()
			.allSatisfy((call) -> assertThat(call.path("body").asString()).contains("\"seed\":4242"));
	}

	@Test
	@Order(4)
	void randomSeedIsChosenReportedAndReproducible() {
		HttpResponse<byte[]> random = api.generate(Map.of("prompt", this.prompt), TIMEOUT);
		HttpResponse<byte[]> explicitRandom = api.generate(Map.of("prompt", this.prompt, "seed", "-1"), TIMEOUT);

		assertThat(random.statusCode()).as(() -> ApiClient.text(random)).isEqualTo(200);
		assertThat(explicitRandom.statusCode()).as(() -> ApiClient.text(explicitRandom)).isEqualTo(200);
		long seed = Long.parseLong(random.headers().firstValue("X-Seed").orElseThrow());
		long otherSeed = Long.parseLong(explicitRandom.headers().firstValue("X-Seed").orElseThrow());
		assertThat(seed).isBetween(0L, (long) Integer.MAX_VALUE);
		assertThat(otherSeed).isBetween(0L, (long) Integer.MAX_VALUE).isNotEqualTo(seed);
		assertThat(random.headers().firstValue("Cache-Control")).hasValueSatisfying(
				(cache) -> assertThat(cache).contains("no-store"));
		assertThat(explicitRandom.body()).isNotEqualTo(random.body());

		// The reported seed reproduces the image: the point of choosing it in the API.
		HttpResponse<byte[]> replay = api.generate(Map.of("prompt", this.prompt, "seed", String.valueOf(seed)),
				TIMEOUT);
		assertThat(replay.statusCode()).as(() -> ApiClient.text(replay)).isEqualTo(200);
		assertThat(replay.headers().firstValue("X-Seed")).hasValue(String.valueOf(seed));
		assertThat(replay.body()).isEqualTo(random.body());
	}

	@Test
	@Order(5)
	void postWithJsonBodyBehavesLikeGet() {
		Map<String, Object> body = new LinkedHashMap<>();
		body.put("prompt", this.prompt);
		body.put("negative_prompt", "blurry");
		body.put("shape", "portrait");
		body.put("seed", 77);

		HttpResponse<byte[]> posted = api.postGenerate(body, TIMEOUT);
		HttpResponse<byte[]> got = api.generate(
				Map.of("prompt", this.prompt, "negative_prompt", "blurry", "shape", "portrait", "seed", "77"), TIMEOUT);

		assertThat(posted.statusCode()).as(() -> ApiClient.text(posted)).isEqualTo(200);
		assertThat(posted.headers().firstValue("X-Seed")).hasValue("77");
		BufferedImage image = Images.decode(posted.body());
		assertThat(image.getWidth()).isEqualTo(512);
		assertThat(image.getHeight()).isEqualTo(768);
		assertThat(got.statusCode()).isEqualTo(200);
		assertThat(got.body()).isEqualTo(posted.body());
	}

	@Test
	@Order(6)
	void invalidRequestsAreProblemDetailsAndNeverReachTheUpstream() {
		HttpResponse<byte[]> invalid = api.generate(Map.of("prompt", "", "shape", "round", "seed", "-7"), TIMEOUT);
		HttpResponse<byte[]> unknown = api.generate(Map.of("prompt", this.prompt, "size", "big"), TIMEOUT);

		assertThat(invalid.statusCode()).as(() -> ApiClient.text(invalid)).isEqualTo(400);
		assertThat(invalid.headers().firstValue("Content-Type")).hasValueSatisfying(
				(type) -> assertThat(type).startsWith("application/problem+json"));
		JsonNode problem = ApiClient.json(invalid);
		assertThat(problem.path("type").asString()).endsWith("/validation-error");
		assertThat(problem.path("status").asInt()).isEqualTo(400);
		assertThat(problem.path("requestId").asString()).isNotBlank();
		assertThat(problem.path("errors").findValuesAsString("parameter")).contains("prompt", "shape", "seed");

		assertThat(unknown.statusCode()).as(() -> ApiClient.text(unknown)).isEqualTo(400);
		assertThat(ApiClient.json(unknown).toString()).contains("size");

		assertThat(system.emulatorControl().generateCalls()).isEmpty();
	}

	@Test
	@Order(7)
	void upstreamInvalidDataIsTheCallersErrorAndIsNotRetried() {
		system.emulatorControl()
			.fault(Map.of("endpoint", "generate", "kind", "status", "status", "invalid_data", "count", 1));

		HttpResponse<byte[]> response = api.generate(Map.of("prompt", this.prompt), TIMEOUT);

		assertThat(response.statusCode()).as(() -> ApiClient.text(response)).isEqualTo(422);
		assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
				(type) -> assertThat(type).startsWith("application/problem+json"));
		assertThat(ApiClient.json(response).path("type").asString()).endsWith("/upstream-rejected");
		assertThat(system.emulatorControl().generateCalls()).hasSize(1);
	}

	@Test
	@Order(8)
	void transientUpstreamFailureIsRetriedByTheWorker() {
		system.emulatorControl()
			.fault(Map.of("endpoint", "generate", "kind", "status", "status", "gen_failure", "count", 1,
					"extra", Map.of("type", 1)));

		HttpResponse<byte[]> response = api.generate(Map.of("prompt", this.prompt, "seed", "5"), TIMEOUT);

		assertThat(response.statusCode()).as(() -> ApiClient.text(response)).isEqualTo(200);
		assertThat(Images.isPng(response.body())).isTrue();
		List<JsonNode> calls = system.emulatorControl().generateCalls();
		assertThat(calls).hasSize(2);
		// Every POST, re-POSTs included, carries a fresh requestId.
		assertThat(calls.get(1).path("requestId").asString()).isNotEqualTo(calls.get(0).path("requestId").asString());
	}

	@Test
	@Order(9)
	void workerServesOnlyCallersWithTheToken() {
		ApiClient direct = new ApiClient(system.worker().baseUrl());

		HttpResponse<byte[]> anonymous = direct.postGenerate(Map.of("prompt", this.prompt), TIMEOUT);

		assertThat(anonymous.statusCode()).as(() -> ApiClient.text(anonymous)).isEqualTo(401);
		assertThat(ApiClient.json(anonymous).path("type").asString()).endsWith("/unauthorized");
		assertThat(system.emulatorControl().generateCalls()).isEmpty();
	}

	@Test
	@Order(100)
	void upstreamRateLimitIsServiceUnavailableWithRetryAfterAndNoRetryStorm() {
		system.emulatorControl()
			.fault(Map.of("endpoint", "generate", "kind", "status", "status", "too_many_requests", "count", 1));

		HttpResponse<byte[]> limited = api.generate(Map.of("prompt", this.prompt), TIMEOUT);
		HttpResponse<byte[]> afterwards = api.generate(Map.of("prompt", this.prompt + " again"), TIMEOUT);

		assertThat(limited.statusCode()).as(() -> ApiClient.text(limited)).isEqualTo(503);
		assertThat(limited.headers().firstValue("Retry-After")).hasValueSatisfying(
				(seconds) -> assertThat(Long.parseLong(seconds)).isPositive());
		assertThat(ApiClient.json(limited).path("type").asString()).endsWith("/upstream-rate-limited");
		// The breaker is open: the next request is refused without touching the upstream.
		assertThat(afterwards.statusCode()).as(() -> ApiClient.text(afterwards)).isEqualTo(503);
		assertThat(afterwards.headers().firstValue("Retry-After")).isPresent();
		assertThat(system.emulatorControl().generateCalls()).hasSize(1);
	}

}

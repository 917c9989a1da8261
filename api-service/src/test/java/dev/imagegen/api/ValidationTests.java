package dev.imagegen.api;

import java.net.URI;
import java.util.function.Consumer;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Strict validation over HTTP: every offending parameter is named in one 400 problem, malformed JSON is
 * a 400, a wrong media type a 415, an oversized body a 413, and invalid input never reaches the worker.
 */
class ValidationTests extends SharedContextTests {

	@AfterEach
	void invalidInputNeverReachesTheWorker() {
		assertThat(generateCalls()).isEmpty();
	}

	private WebTestClient.BodyContentSpec get(String rawQuery) {
		return this.client.get()
			.uri(URI.create("http://127.0.0.1:" + this.port + "/generate?" + rawQuery))
			.exchange()
			.expectStatus()
			.isBadRequest()
			.expectHeader()
			.contentType("application/problem+json")
			.expectHeader()
			.exists("X-Request-Id")
			.expectBody()
			.jsonPath("$.type")
			.isEqualTo(PROBLEMS + "validation-error")
			.jsonPath("$.status")
			.isEqualTo(400)
			.jsonPath("$.title")
			.isNotEmpty()
			.jsonPath("$.detail")
			.isNotEmpty()
			.jsonPath("$.instance")
			.isEqualTo("/generate")
			.jsonPath("$.requestId")
			.isNotEmpty();
	}

	@ParameterizedTest(name = "{0} -> {1}")
	@CsvSource(delimiter = '|', value = { "seed=1 | prompt", "prompt= | prompt", "prompt=+%09+ | prompt",
			"prompt=x&seed=abc | seed", "prompt=x&seed=1.5 | seed", "prompt=x&seed=-2 | seed",
			"prompt=x&seed=2147483648 | seed", "prompt=x&seed=99999999999999999999999999 | seed", "prompt=x&seed= | seed",
			"prompt=x&guidance_scale=0.99 | guidance_scale", "prompt=x&guidance_scale=30.01 | guidance_scale",
			"prompt=x&guidance_scale=NaN | guidance_scale", "prompt=x&guidance_scale=seven | guidance_scale",
			"prompt=x&guidance_scale=Infinity | guidance_scale", "prompt=x&shape=round | shape",
			"prompt=x&shape= | shape", "prompt=x&format=gif | format", "prompt=x&format=jpg | format",
			"prompt=x&Prompt=y | Prompt", "prompt=x&width=512 | width", "prompt=x&prompt=y | prompt",
			"prompt=x&seed=1&seed=1 | seed" })
	void eachOffendingParameterIsNamed(String query, String parameter) {
		get(query).jsonPath("$.errors.length()").isEqualTo(1).jsonPath("$.errors[0].parameter").isEqualTo(parameter)
			.jsonPath("$.errors[0].message").isNotEmpty();
	}

	@Test
	void allOffendingParametersAreReportedTogether() {
		get("seed=x&guidance_scale=99&shape=circle&format=bmp&colour=red&negative_prompt=a&negative_prompt=b")
			.jsonPath("$.errors[*].parameter")
			.value((Consumer<Object>) (names) -> assertThat(names.toString()).contains("prompt", "seed",
					"guidance_scale", "shape", "format", "colour", "negative_prompt"));
	}

	@ParameterizedTest
	@CsvSource({ "prompt=x&size=big", "prompt=x&shape=square&shape=portrait" })
	void unknownOrRepeatedParameterMessageListsTheAllowedOnes(String query) {
		get(query).jsonPath("$.errors[0].message")
			.value(String.class, (message) -> assertThat(message).contains("prompt, negative_prompt, seed, "
					+ "guidance_scale, shape, format"));
	}

	@Test
	void promptLongerThanTheLimitIsRejectedAndTheLimitCountsCharactersNotBytes() {
		get("prompt=" + "a".repeat(1001)).jsonPath("$.errors[0].parameter").isEqualTo("prompt");
		get("prompt=x&negative_prompt=" + "b".repeat(1001)).jsonPath("$.errors[0].parameter")
			.isEqualTo("negative_prompt");
		// 1000 characters of three UTF-8 bytes each, percent-encoded: 9000 bytes of query, still valid
		// up to the validation, which then rejects only the extra parameter.
		get("prompt=" + "%E2%82%AC".repeat(1000) + "&extra=1").jsonPath("$.errors[0].parameter").isEqualTo("extra");
	}

	@ParameterizedTest(name = "{0}")
	@CsvSource(delimiter = '|', value = { "{\"prompt\":1} | prompt", "{\"seed\":1} | prompt",
			"{\"prompt\":\"x\",\"seed\":\"5\"} | seed", "{\"prompt\":\"x\",\"seed\":5.5} | seed",
			"{\"prompt\":\"x\",\"guidance_scale\":\"7\"} | guidance_scale", "{\"prompt\":\"x\",\"shape\":1} | shape",
			"{\"prompt\":\"x\",\"format\":null,\"steps\":3} | steps", "{\"prompt\":\"x\",\"prompt\":\"y\"} | prompt",
			"{\"prompt\":\"  \"} | prompt", "{\"prompt\":[\"x\"]} | prompt" })
	void jsonBodiesFollowTheSameRules(String body, String parameter) {
		this.client.post()
			.uri("/generate")
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue(body)
			.exchange()
			.expectStatus()
			.isBadRequest()
			.expectBody()
			.jsonPath("$.type")
			.isEqualTo(PROBLEMS + "validation-error")
			.jsonPath("$.errors[0].parameter")
			.isEqualTo(parameter);
	}

	@ParameterizedTest(name = "{0}")
	@CsvSource(delimiter = '|', value = { "{\"prompt\":", "[1,2]", "\"fox\"", "{\"prompt\":\"x\"} {}", "nonsense",
			"''" })
	void malformedJsonIsA400(String body) {
		this.client.post()
			.uri("/generate")
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue(body)
			.exchange()
			.expectStatus()
			.isBadRequest()
			.expectBody()
			.jsonPath("$.type")
			.isEqualTo(PROBLEMS + "malformed-json");
	}

	@Test
	void wrongMediaTypeIsA415() {
		this.client.post()
			.uri("/generate")
			.contentType(MediaType.APPLICATION_FORM_URLENCODED)
			.bodyValue("prompt=fox")
			.exchange()
			.expectStatus()
			.isEqualTo(415)
			.expectBody()
			.jsonPath("$.type")
			.isEqualTo(PROBLEMS + "unsupported-media-type");
	}

	@Test
	void oversizedBodyIsA413() {
		String body = "{\"prompt\":\"" + "x".repeat(70 * 1024) + "\"}";
		this.client.post()
			.uri("/generate")
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue(body)
			.exchange()
			.expectStatus()
			.isEqualTo(413)
			.expectBody()
			.jsonPath("$.type")
			.isEqualTo(PROBLEMS + "payload-too-large");
	}

	@Test
	void unknownPathAndMethodAreProblemsToo() {
		this.client.get().uri("/nope").exchange().expectStatus().isNotFound().expectBody().jsonPath("$.type")
			.isEqualTo(PROBLEMS + "not-found");
		this.client.put()
			.uri("/generate")
			.exchange()
			.expectStatus()
			.isEqualTo(405)
			.expectHeader()
			.exists("Allow")
			.expectBody()
			.jsonPath("$.type")
			.isEqualTo(PROBLEMS + "method-not-allowed");
	}

	@Test
	void imagePreferringClientsGetTheErrorAsAPng() {
		byte[] png = this.client.get()
			.uri("/generate?seed=1")
			.header("Accept", "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8")
			.exchange()
			.expectStatus()
			.isBadRequest()
			.expectHeader()
			.contentType(MediaType.IMAGE_PNG)
			.expectBody(byte[].class)
			.returnResult()
			.getResponseBody();
		assertThat(ImageFixtures.decode(png).getWidth()).isGreaterThan(100);
		// curl and browsers navigating to the URL still get JSON.
		for (String accept : new String[] { "*/*", "application/json",
				"text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8" }) {
			this.client.get()
				.uri("/generate?seed=1")
				.header("Accept", accept)
				.exchange()
				.expectStatus()
				.isBadRequest()
				.expectHeader()
				.contentType("application/problem+json");
		}
	}

}

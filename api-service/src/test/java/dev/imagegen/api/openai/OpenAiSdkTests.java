package dev.imagegen.api.openai;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.errors.BadRequestException;
import com.openai.models.images.Image;
import com.openai.models.images.ImageGenerateParams;
import com.openai.models.images.ImagesResponse;
import com.openai.models.models.Model;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.imagegen.api.ImageFixtures;
import dev.imagegen.api.PrivateWorker;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The OpenAI-compatible Images API through the official OpenAI Java SDK, against the running API and a WireMock
 * worker that echoes the seed it is sent (as a real worker reports the seed it used).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
		properties = { "WORKER_TOKEN=test-token", "WORKER_TIMEOUT=5s" })
@AutoConfigureWebTestClient(timeout = "20s")
class OpenAiSdkTests {

	static final WireMockServer WORKER = PrivateWorker.start();

	@AfterAll
	static void stopWorker() {
		WORKER.stop();
	}

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		registry.add("PERCHANCE_WORKER_URL", () -> WORKER.baseUrl());
	}

	@LocalServerPort
	int port;

	@Autowired
	WebTestClient client;

	OpenAIClient openai;

	@BeforeEach
	void start() {
		WORKER.resetAll();
		WORKER.stubFor(post(urlEqualTo("/generate")).willReturn(image("image/png", ImageFixtures.png())));
		WORKER.stubFor(post(urlEqualTo("/generate")).withRequestBody(matchingJsonPath("$.format", equalTo("jpeg")))
			.willReturn(image("image/jpeg", ImageFixtures.jpeg())));
		// No retries: a test must see the first answer, not the SDK's second try.
		this.openai = OpenAIOkHttpClient.builder()
			.baseUrl("http://localhost:" + this.port + "/v1")
			.apiKey("sk-anything")
			.maxRetries(0)
			.build();
	}

	@AfterEach
	void stop() {
		this.openai.close();
	}

	private static com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder image(String type, byte[] bytes) {
		return aResponse().withStatus(200)
			.withHeader("Content-Type", type)
			.withHeader("X-Seed", "{{jsonPath request.body '$.seed'}}")
			.withBody(bytes)
			.withTransformers("response-template");
	}

	private static String prompt() {
		return "a red fox " + UUID.randomUUID();
	}

	private static long seedOf(Image image) {
		return image._additionalProperties().get("seed").convert(Long.class);
	}

	@Test
	void base64ImageWithAFixedSeed() {
		String prompt = prompt();
		ImagesResponse response = this.openai.images()
			.generate(ImageGenerateParams.builder()
				.prompt(prompt)
				.responseFormat(ImageGenerateParams.ResponseFormat.B64_JSON)
				.putAdditionalBodyProperty("seed", JsonValue.from(7))
				.putAdditionalBodyProperty("negative_prompt", JsonValue.from("blurry"))
				.putAdditionalBodyProperty("guidance_scale", JsonValue.from(9.5))
				.build());
		assertThat(response.created()).isPositive();
		List<Image> data = response.data().orElseThrow();
		assertThat(data).hasSize(1);
		assertThat(Base64.getDecoder().decode(data.get(0).b64Json().orElseThrow())).isEqualTo(ImageFixtures.png());
		assertThat(data.get(0).url()).isEmpty();
		assertThat(data.get(0).revisedPrompt()).contains(prompt);
		assertThat(seedOf(data.get(0))).isEqualTo(7);
		WORKER.verify(1, postRequestedFor(urlEqualTo("/generate")).withRequestBody(matchingJsonPath("$.prompt", equalTo(prompt)))
			.withRequestBody(matchingJsonPath("$.seed", equalTo("7")))
			.withRequestBody(matchingJsonPath("$.negative_prompt", equalTo("blurry")))
			.withRequestBody(matchingJsonPath("$.guidance_scale", equalTo("9.5")))
			.withRequestBody(matchingJsonPath("$.shape", equalTo("square")))
			.withRequestBody(matchingJsonPath("$.format", equalTo("png"))));
	}

	@Test
	void urlImageIsAbsoluteAndServedWithTheHeadersOfGenerate() throws Exception {
		ImagesResponse response = this.openai.images()
			.generate(ImageGenerateParams.builder().prompt(prompt()).model("dall-e-3").build());
		Image image = response.data().orElseThrow().get(0);
		assertThat(image.b64Json()).isEmpty();
		String url = image.url().orElseThrow();
		assertThat(url).matches("http://localhost:" + this.port + "/v1/images/[A-Za-z0-9_-]{22}");
		HttpResponse<byte[]> fetched = HttpClient.newHttpClient()
			.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofByteArray());
		assertThat(fetched.statusCode()).isEqualTo(200);
		assertThat(fetched.body()).isEqualTo(ImageFixtures.png());
		assertThat(fetched.headers().firstValue("Content-Type")).contains("image/png");
		assertThat(fetched.headers().firstValue("Content-Length")).contains(Integer.toString(ImageFixtures.png().length));
		assertThat(fetched.headers().firstValue("X-Seed")).contains(Long.toString(seedOf(image)));
		assertThat(fetched.headers().firstValue("X-Request-Id")).isPresent();
		assertThat(fetched.headers().firstValue("Content-Disposition").orElseThrow())
			.matches("inline; filename=\"imagegen-[0-9a-f]{12}-" + seedOf(image) + "\\.png\"");
		assertThat(fetched.headers().firstValue("Cache-Control")).contains("private, max-age=3600, immutable");
	}

	@Test
	void twoImagesWithAFixedSeedGetSeedAndSeedPlusOne() {
		String prompt = prompt();
		ImagesResponse response = this.openai.images()
			.generate(ImageGenerateParams.builder()
				.prompt(prompt)
				.n(2)
				.responseFormat(ImageGenerateParams.ResponseFormat.B64_JSON)
				.putAdditionalBodyProperty("seed", JsonValue.from(100))
				.build());
		assertThat(response.data().orElseThrow()).extracting(OpenAiSdkTests::seedOf).containsExactly(100L, 101L);
		WORKER.verify(1, postRequestedFor(urlEqualTo("/generate")).withRequestBody(matchingJsonPath("$.prompt", equalTo(prompt)))
			.withRequestBody(matchingJsonPath("$.seed", equalTo("100"))));
		WORKER.verify(1, postRequestedFor(urlEqualTo("/generate")).withRequestBody(matchingJsonPath("$.prompt", equalTo(prompt)))
			.withRequestBody(matchingJsonPath("$.seed", equalTo("101"))));
	}

	@Test
	void twoImagesWithRandomSeedsGetDistinctSeedsAndDistinctUrls() {
		String prompt = prompt();
		List<Image> data = this.openai.images()
			.generate(ImageGenerateParams.builder().prompt(prompt).n(2).build())
			.data()
			.orElseThrow();
		assertThat(data).hasSize(2);
		assertThat(seedOf(data.get(0))).isNotEqualTo(seedOf(data.get(1)));
		assertThat(data.get(0).url()).isNotEqualTo(data.get(1).url());
		for (Image image : data) {
			WORKER.verify(1, postRequestedFor(urlEqualTo("/generate")).withRequestBody(matchingJsonPath("$.prompt", equalTo(prompt)))
				.withRequestBody(matchingJsonPath("$.seed", equalTo(Long.toString(seedOf(image))))));
		}
	}

	@ParameterizedTest
	@CsvSource({ "512x768, portrait", "768x512, landscape", "768x768, square", "1024x1024, square", "auto, square",
			"1024x1536, portrait", "1024x1792, portrait", "1536x1024, landscape", "1792x1024, landscape" })
	void everySizeMapsToItsShape(String size, String shape) {
		String prompt = prompt();
		this.openai.images()
			.generate(ImageGenerateParams.builder()
				.prompt(prompt)
				.size(size)
				.responseFormat(ImageGenerateParams.ResponseFormat.B64_JSON)
				.build());
		WORKER.verify(1, postRequestedFor(urlEqualTo("/generate")).withRequestBody(matchingJsonPath("$.prompt", equalTo(prompt)))
			.withRequestBody(matchingJsonPath("$.shape", equalTo(shape))));
	}

	@Test
	void jpegOutput() {
		String prompt = prompt();
		Image image = this.openai.images()
			.generate(ImageGenerateParams.builder()
				.prompt(prompt)
				.outputFormat(ImageGenerateParams.OutputFormat.JPEG)
				.responseFormat(ImageGenerateParams.ResponseFormat.B64_JSON)
				.build())
			.data()
			.orElseThrow()
			.get(0);
		assertThat(Base64.getDecoder().decode(image.b64Json().orElseThrow())).isEqualTo(ImageFixtures.jpeg());
		WORKER.verify(1, postRequestedFor(urlEqualTo("/generate")).withRequestBody(matchingJsonPath("$.prompt", equalTo(prompt)))
			.withRequestBody(matchingJsonPath("$.format", equalTo("jpeg"))));
	}

	@Test
	void aBadSizeIsABadRequestNamingSize() {
		assertThatExceptionOfType(BadRequestException.class)
			.isThrownBy(() -> this.openai.images()
				.generate(ImageGenerateParams.builder().prompt(prompt()).size("640x480").build()))
			.satisfies((ex) -> {
				assertThat(ex.statusCode()).isEqualTo(400);
				assertThat(ex.param()).contains("size");
				assertThat(ex.type()).contains("invalid_request_error");
				assertThat(ex.code()).contains("validation_error");
			});
		WORKER.verify(0, postRequestedFor(urlEqualTo("/generate")));
	}

	@Test
	void modelsListsPerchance() {
		List<Model> models = this.openai.models().list().data();
		assertThat(models).extracting(Model::id).containsExactly("perchance");
		assertThat(models.get(0).ownedBy()).isEqualTo("imagegen");
		assertThat(this.openai.models().retrieve("perchance").id()).isEqualTo("perchance");
	}

	@Test
	void ignoredOpenAiFieldsAreAccepted() {
		this.client.post()
			.uri("/v1/images/generations")
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue("{\"prompt\":\"" + prompt() + "\",\"quality\":\"hd\",\"style\":\"vivid\",\"background\":\"auto\","
					+ "\"moderation\":\"low\",\"output_compression\":80,\"user\":\"u-1\",\"model\":\"gpt-image-1\","
					+ "\"response_format\":\"b64_json\",\"stream\":false}")
			.exchange()
			.expectStatus()
			.isOk()
			.expectHeader()
			.contentType(MediaType.APPLICATION_JSON)
			.expectBody()
			.jsonPath("$.data.length()")
			.isEqualTo(1)
			.jsonPath("$.data[0].b64_json")
			.isNotEmpty();
	}

	@Test
	void validationErrorsComeInOpenAisEnvelope() {
		this.client.post()
			.uri("/v1/images/generations")
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue("{\"prompt\":\"fox\",\"n\":5,\"size\":\"1x1\",\"colour\":\"red\"}")
			.exchange()
			.expectStatus()
			.isBadRequest()
			.expectHeader()
			.contentType(MediaType.APPLICATION_JSON)
			.expectHeader()
			.exists("X-Request-Id")
			.expectBody()
			.jsonPath("$.error.type")
			.isEqualTo("invalid_request_error")
			.jsonPath("$.error.param")
			.isEqualTo("n")
			.jsonPath("$.error.code")
			.isEqualTo("validation_error")
			.jsonPath("$.error.message")
			.value((String message) -> assertThat(message).contains("n: ", "size: ", "colour: unknown field"));
	}

	@Test
	void generateRulesApplyToTheExtensions() {
		this.client.post()
			.uri("/v1/images/generations")
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue("{\"prompt\":\"fox\",\"guidance_scale\":31}")
			.exchange()
			.expectStatus()
			.isBadRequest()
			.expectBody()
			.jsonPath("$.error.param")
			.isEqualTo("guidance_scale");
		this.client.post()
			.uri("/v1/images/generations")
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue("{\"prompt\":\"fox\",\"n\":2,\"seed\":2147483647}")
			.exchange()
			.expectStatus()
			.isBadRequest()
			.expectBody()
			.jsonPath("$.error.param")
			.isEqualTo("seed");
		this.client.post()
			.uri("/v1/images/generations")
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue("{\"prompt\":\"   \"}")
			.exchange()
			.expectStatus()
			.isBadRequest()
			.expectBody()
			.jsonPath("$.error.param")
			.isEqualTo("prompt");
		WORKER.verify(0, postRequestedFor(urlEqualTo("/generate")));
	}

	@Test
	void aWorkerFaultKeepsItsStatusAndRetryAfter() {
		WORKER.resetAll();
		WORKER.stubFor(post(urlEqualTo("/generate")).willReturn(aResponse().withStatus(503)
			.withHeader("Content-Type", "application/problem+json")
			.withHeader("Retry-After", "7")
			.withBody("{\"type\":\"https://imagegen.dev/problems/queue-full\",\"title\":\"Queue full\",\"status\":503,"
					+ "\"detail\":\"The queue is full.\"}")));
		this.client.post()
			.uri("/v1/images/generations")
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue("{\"prompt\":\"" + prompt() + "\",\"n\":2}")
			.exchange()
			.expectStatus()
			.isEqualTo(503)
			.expectHeader()
			.valueEquals("Retry-After", "7")
			.expectHeader()
			.contentType(MediaType.APPLICATION_JSON)
			.expectBody()
			.jsonPath("$.error.type")
			.isEqualTo("server_error")
			.jsonPath("$.error.code")
			.isEqualTo("queue_full");
	}

	@Test
	void forwardedHeadersOfAnUntrustedPeerAreIgnored() {
		this.client.post()
			.uri("/v1/images/generations")
			.header("X-Forwarded-Host", "evil.example")
			.header("X-Forwarded-Proto", "https")
			.header("Forwarded", "host=evil.example;proto=https")
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue("{\"prompt\":\"fox\"}")
			.exchange()
			.expectStatus()
			.isOk()
			.expectBody()
			.jsonPath("$.data[0].url")
			.value((String url) -> assertThat(url).startsWith("http://localhost:" + this.port + "/v1/images/"));
	}

	@Test
	void anUnknownImageIsA404InTheEnvelope() {
		this.client.get()
			.uri("/v1/images/AAAAAAAAAAAAAAAAAAAAAA")
			.exchange()
			.expectStatus()
			.isNotFound()
			.expectHeader()
			.contentType(MediaType.APPLICATION_JSON)
			.expectBody()
			.jsonPath("$.error.type")
			.isEqualTo("invalid_request_error")
			.jsonPath("$.error.code")
			.isEqualTo("not_found");
	}

}

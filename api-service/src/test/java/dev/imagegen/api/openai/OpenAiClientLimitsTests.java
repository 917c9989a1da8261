package dev.imagegen.api.openai;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.RateLimitException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.images.Image;
import com.openai.models.images.ImageGenerateParams;
import io.github.bucket4j.TimeMeter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.imagegen.api.PrivateWorker;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.context.annotation.Bean;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Keys and client limits on the OpenAI-compatible API: the SDK's bearer token is the API key, refusals reach the
 * SDK as its typed exceptions and carry {@code Retry-After}, and {@code n} images run no more at once than the
 * client's concurrency cap. The limits' clock stands still, so no bucket refills during a test; each test is a
 * client (a key) of its own. The test's loopback peer is a trusted proxy, for the forwarded-host test, and a key
 * is required, except for the image URLs handed out.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
		properties = { "WORKER_TOKEN=test-token", "WORKER_TIMEOUT=5s", "TRUSTED_PROXIES=127.0.0.1,::1",
				"REQUIRE_API_KEY=true" })
@AutoConfigureWebTestClient(timeout = "20s")
class OpenAiClientLimitsTests {

	static final WireMockServer WORKER = PrivateWorker.start();

	@AfterAll
	static void stopWorker() {
		WORKER.stop();
	}

	/** One generation per minute. */
	static final String ERIN = "erin-key-0123456789abcdef";

	/** One generation at a time. */
	static final String FRANK = "frank-key-0123456789abcdef";

	/** One generation per minute, asks for two. */
	static final String GINA = "gina-key-0123456789abcdef";

	/** No limit that a test reaches. */
	static final String HUGO = "hugo-key-0123456789abcdef";

	@LocalServerPort
	int port;

	@Autowired
	WebTestClient client;

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		registry.add("PERCHANCE_WORKER_URL", () -> WORKER.baseUrl());
		registry.add("API_KEYS_FILE", OpenAiClientLimitsTests::keysFile);
	}

	private static String keysFile() {
		try {
			Path file = Files.createTempFile("imagegen-openai-keys", ".json");
			Files.writeString(file, "{\"keys\":[" + "{\"name\":\"erin\",\"key\":\"" + ERIN + "\",\"generationsPerMinute\":1},"
					+ "{\"name\":\"frank\",\"key\":\"" + FRANK + "\",\"maxConcurrent\":1},"
					+ "{\"name\":\"gina\",\"key\":\"" + GINA + "\",\"generationsPerMinute\":1},"
					+ "{\"name\":\"hugo\",\"key\":\"" + HUGO + "\"}]}");
			file.toFile().deleteOnExit();
			return file.toString();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	@BeforeEach
	void workerAnswersSlowly() {
		// Slow enough that two generations of one call would overlap if they were started together.
		PrivateWorker.answerWithImage(WORKER, 300);
	}

	private OpenAIClient sdk(String key) {
		return OpenAIOkHttpClient.builder().baseUrl("http://127.0.0.1:" + this.port + "/v1").apiKey(key).maxRetries(0).build();
	}

	private static ImageGenerateParams params(long n) {
		return ImageGenerateParams.builder()
			.prompt("an otter " + UUID.randomUUID())
			.n(n)
			.responseFormat(ImageGenerateParams.ResponseFormat.B64_JSON)
			.build();
	}

	@Test
	void anUnknownKeyIsAnAuthenticationError() {
		OpenAIClient openai = sdk("sk-not-a-key-of-this-service");
		try {
			assertThatExceptionOfType(UnauthorizedException.class)
				.isThrownBy(() -> openai.images().generate(params(1)))
				.satisfies((ex) -> assertThat(ex.type()).contains("authentication_error"));
		}
		finally {
			openai.close();
		}
		this.client.post()
			.uri("/v1/images/generations")
			.header("Authorization", "Bearer sk-not-a-key-of-this-service")
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue("{\"prompt\":\"fox\"}")
			.exchange()
			.expectStatus()
			.isUnauthorized()
			.expectHeader()
			.valueEquals("WWW-Authenticate", "Bearer realm=\"imagegen\"")
			.expectHeader()
			.contentType(MediaType.APPLICATION_JSON)
			.expectBody()
			.jsonPath("$.error.type")
			.isEqualTo("authentication_error")
			.jsonPath("$.error.code")
			.isEqualTo("unauthorized")
			.jsonPath("$.error.param")
			.isEmpty();
		WORKER.verify(0, postRequestedFor(urlEqualTo("/generate")));
	}

	@Test
	void theBearerTokenIsTheKeyAndASpentQuotaIsARateLimitError() {
		OpenAIClient openai = sdk(ERIN);
		try {
			assertThat(openai.images().generate(params(1)).data().orElseThrow()).hasSize(1);
			assertThatExceptionOfType(RateLimitException.class).isThrownBy(() -> openai.images().generate(params(1)))
				.satisfies((ex) -> {
					assertThat(ex.type()).contains("rate_limit_error");
					assertThat(ex.code()).contains("rate_limited");
				});
		}
		finally {
			openai.close();
		}
		this.client.post()
			.uri("/v1/images/generations")
			.header("Authorization", "Bearer " + ERIN)
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue("{\"prompt\":\"fox\"}")
			.exchange()
			.expectStatus()
			.isEqualTo(429)
			.expectHeader()
			.valueEquals("Retry-After", "60")
			.expectHeader()
			.exists("RateLimit-Policy")
			.expectHeader()
			.exists("RateLimit")
			.expectHeader()
			.contentType(MediaType.APPLICATION_JSON)
			.expectBody()
			.jsonPath("$.error.type")
			.isEqualTo("rate_limit_error");
		WORKER.verify(1, postRequestedFor(urlEqualTo("/generate")));
	}

	@Test
	void nImagesRunNoMoreAtOnceThanTheClientsCap() {
		OpenAIClient openai = sdk(FRANK);
		try {
			List<Image> data = openai.images().generate(params(3)).data().orElseThrow();
			assertThat(data).hasSize(3);
		}
		finally {
			openai.close();
		}
		WORKER.verify(3, postRequestedFor(urlEqualTo("/generate")));
	}

	@Test
	void oneRefusedImageFailsTheWholeCall() {
		this.client.post()
			.uri("/v1/images/generations")
			.header("Authorization", "Bearer " + GINA)
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue("{\"prompt\":\"fox\",\"n\":2,\"response_format\":\"b64_json\"}")
			.exchange()
			.expectStatus()
			.isEqualTo(429)
			.expectHeader()
			.valueEquals("Retry-After", "60")
			.expectBody()
			.jsonPath("$.error.type")
			.isEqualTo("rate_limit_error")
			.jsonPath("$.data")
			.doesNotExist();
	}

	@Test
	void urlsUseTheHostForwardedByATrustedProxy() {
		this.client.post()
			.uri("/v1/images/generations")
			.header("Authorization", "Bearer " + HUGO)
			.header("X-Forwarded-Proto", "https")
			.header("X-Forwarded-Host", "images.example.com")
			.header("X-Forwarded-Prefix", "/imagegen/")
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue("{\"prompt\":\"fox\"}")
			.exchange()
			.expectStatus()
			.isOk()
			// A success carries the client's quotas too (docs/api.md): hugo has the key defaults of the test
			// configuration. What is left is not asserted: at a million a minute a spent token is back within 60 µs.
			.expectHeader()
			.valueEquals("RateLimit-Policy", "\"requests\";q=10000000;w=60, \"generations\";q=1000000;w=60")
			.expectHeader()
			.valueMatches("RateLimit", "\"requests\";r=\\d+;t=\\d+, \"generations\";r=\\d+;t=\\d+")
			.expectBody()
			.jsonPath("$.data[0].url")
			.value((String url) -> assertThat(url).matches("https://images\\.example\\.com/imagegen/v1/images/[A-Za-z0-9_-]{22}"));
	}

	@Test
	void aMissingKeyIsRefusedButAnImageUrlNeedsNone() {
		this.client.post()
			.uri("/v1/images/generations")
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue("{\"prompt\":\"fox\"}")
			.exchange()
			.expectStatus()
			.isUnauthorized()
			.expectBody()
			.jsonPath("$.error.type")
			.isEqualTo("authentication_error");
		OpenAIClient openai = sdk(HUGO);
		String url;
		try {
			url = openai.images()
				.generate(ImageGenerateParams.builder().prompt("a heron " + UUID.randomUUID()).build())
				.data()
				.orElseThrow()
				.get(0)
				.url()
				.orElseThrow();
		}
		finally {
			openai.close();
		}
		String path = java.net.URI.create(url).getPath();
		this.client.get().uri(path).exchange().expectStatus().isOk().expectHeader().contentType(MediaType.IMAGE_PNG);
		this.client.head()
			.uri(path)
			.exchange()
			.expectStatus()
			.isOk()
			.expectHeader()
			.contentType(MediaType.IMAGE_PNG)
			.expectHeader()
			.exists("X-Seed")
			.expectHeader()
			.exists("Content-Disposition")
			.expectBody()
			.isEmpty();
	}

	/** A clock that stands still: no bucket refills while the tests run. */
	@TestConfiguration
	static class FrozenClock {

		@Bean
		TimeMeter clientsClock() {
			AtomicLong now = new AtomicLong(1_000_000_000L);
			return new TimeMeter() {
				@Override
				public long currentTimeNanos() {
					return now.get();
				}

				@Override
				public boolean isWallClockBased() {
					return false;
				}
			};
		}

	}

}

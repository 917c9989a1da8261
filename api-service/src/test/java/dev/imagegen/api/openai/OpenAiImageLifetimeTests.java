package dev.imagegen.api.openai;

import java.net.URI;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import com.github.benmanes.caffeine.cache.Ticker;
import com.github.tomakehurst.wiremock.WireMockServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.imagegen.api.ImageFixtures;
import dev.imagegen.api.PrivateWorker;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.context.annotation.Bean;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An image answered by URL is served for one hour after it was answered, whatever the image cache does (here it
 * is off, as {@code IMAGE_CACHE_SIZE=0} allows), and not after. The stores' clock moves only when the test says.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
		properties = { "WORKER_TOKEN=test-token", "WORKER_TIMEOUT=5s", "IMAGE_CACHE_SIZE=0" })
@AutoConfigureWebTestClient(timeout = "20s")
class OpenAiImageLifetimeTests {

	static final WireMockServer WORKER = PrivateWorker.start();

	static final AtomicLong NOW = new AtomicLong(0);

	@AfterAll
	static void stopWorker() {
		WORKER.stop();
	}

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		registry.add("PERCHANCE_WORKER_URL", () -> WORKER.baseUrl());
	}

	@Autowired
	WebTestClient client;

	@BeforeEach
	void workerAnswers() {
		PrivateWorker.answerWithImage(WORKER, 0);
	}

	@Test
	void aUrlServesItsImageForAnHourAndThenNotAnyMore() {
		String url = this.client.post()
			.uri("/v1/images/generations")
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue("{\"prompt\":\"a lynx\",\"seed\":3}")
			.exchange()
			.expectStatus()
			.isOk()
			.expectBody(String.class)
			.returnResult()
			.getResponseBody();
		String path = URI.create(url.replaceAll("(?s).*\"url\":\"([^\"]+)\".*", "$1")).getPath();
		assertThat(path).startsWith("/v1/images/");
		NOW.addAndGet(Duration.ofMinutes(59).plusSeconds(59).toNanos());
		this.client.get()
			.uri(path)
			.exchange()
			.expectStatus()
			.isOk()
			.expectHeader()
			.valueEquals("X-Seed", "42")
			.expectBody(byte[].class)
			.isEqualTo(ImageFixtures.png());
		NOW.addAndGet(Duration.ofSeconds(2).toNanos());
		this.client.get()
			.uri(path)
			.exchange()
			.expectStatus()
			.isNotFound()
			.expectHeader()
			.contentType(MediaType.APPLICATION_JSON)
			.expectBody()
			.jsonPath("$.error.code")
			.isEqualTo("not_found");
	}

	/** The stores' clock, moved by the test. */
	@TestConfiguration
	static class ManualTicker {

		@Bean
		Ticker storeTicker() {
			return NOW::get;
		}

	}

}

package dev.imagegen.api.cache;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
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
import org.springframework.http.HttpHeaders;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.test.web.reactive.server.WebTestClient;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The image cache and single-flight through the running API, counting worker calls on a WireMock worker of
 * this class's own, with a cache clock moved by hand. Each test uses prompts of its own, so entries of one
 * never answer another.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
		properties = { "WORKER_TOKEN=test-token", "WORKER_TIMEOUT=10s", "IMAGE_CACHE_SIZE=64MB" })
@AutoConfigureWebTestClient(timeout = "20s")
class ImageCacheEndpointTests {

	static final WireMockServer WORKER = PrivateWorker.start();

	static final AtomicLong NOW = new AtomicLong();

	@Autowired
	WebTestClient client;

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		registry.add("PERCHANCE_WORKER_URL", WORKER::baseUrl);
	}

	@AfterAll
	static void stopWorker() {
		WORKER.stop();
	}

	@BeforeEach
	void workerAnswersWithAnImage() {
		WORKER.resetAll();
		answerWith(0);
	}

	private static void answerWith(int delayMs) {
		WORKER.stubFor(post(urlEqualTo("/generate")).willReturn(aResponse().withStatus(200)
			.withHeader("Content-Type", "image/png")
			.withBody(ImageFixtures.png())
			.withFixedDelay(delayMs)));
	}

	private static int workerCalls() {
		return WORKER.findAll(postRequestedFor(urlEqualTo("/generate"))).size();
	}

	private EntityExchangeResult<byte[]> get(String query) {
		return this.client.get().uri("/generate?" + query).exchange().expectBody(byte[].class).returnResult();
	}

	@Test
	void aFixedSeedIsGeneratedOnceThenServedFromTheCache() {
		EntityExchangeResult<byte[]> miss = get("prompt=red+fox&seed=42");
		NOW.addAndGet(Duration.ofSeconds(7).toNanos());
		EntityExchangeResult<byte[]> hit = get("prompt=red+fox&seed=42");

		assertThat(miss.getStatus().value()).isEqualTo(200);
		assertThat(miss.getResponseHeaders().getFirst("X-Cache")).isEqualTo("MISS");
		assertThat(hit.getStatus().value()).isEqualTo(200);
		assertThat(hit.getResponseHeaders().getFirst("X-Cache")).isEqualTo("HIT");
		assertThat(hit.getResponseHeaders().getFirst(HttpHeaders.AGE)).isEqualTo("7");
		assertThat(hit.getResponseBody()).isEqualTo(miss.getResponseBody());
		for (String header : List.of(HttpHeaders.CONTENT_TYPE, HttpHeaders.CONTENT_LENGTH, HttpHeaders.ETAG,
				HttpHeaders.CACHE_CONTROL, HttpHeaders.CONTENT_DISPOSITION, "X-Seed")) {
			assertThat(hit.getResponseHeaders().get(header)).as(header).isEqualTo(miss.getResponseHeaders().get(header));
		}
		assertThat(workerCalls()).isEqualTo(1);
	}

	@Test
	void aRandomSeedIsNeverAHitButItsShareLinkIs() {
		EntityExchangeResult<byte[]> first = get("prompt=blue+owl");
		EntityExchangeResult<byte[]> second = get("prompt=blue+owl");
		String seed = first.getResponseHeaders().getFirst("X-Seed");
		EntityExchangeResult<byte[]> shared = get("prompt=blue+owl&seed=" + seed);

		assertThat(first.getResponseHeaders().getFirst("X-Cache")).isEqualTo("MISS");
		assertThat(first.getResponseHeaders().getCacheControl()).isEqualTo("no-store");
		assertThat(second.getResponseHeaders().getFirst("X-Cache")).isEqualTo("MISS");
		assertThat(shared.getResponseHeaders().getFirst("X-Cache")).isEqualTo("HIT");
		assertThat(shared.getResponseHeaders().getFirst("X-Seed")).isEqualTo(seed);
		assertThat(workerCalls()).isEqualTo(2);
	}

	@Test
	void eightIdenticalRequestsAtOnceMakeOneWorkerCall() throws Exception {
		answerWith(1500);
		List<CompletableFuture<EntityExchangeResult<byte[]>>> calls = new ArrayList<>();
		for (int i = 0; i < 8; i++) {
			calls.add(CompletableFuture.supplyAsync(() -> get("prompt=grey+wolf&seed=7")));
		}
		List<byte[]> bodies = new ArrayList<>();
		for (CompletableFuture<EntityExchangeResult<byte[]>> call : calls) {
			EntityExchangeResult<byte[]> result = call.get(30, TimeUnit.SECONDS);
			assertThat(result.getStatus().value()).isEqualTo(200);
			bodies.add(result.getResponseBody());
		}
		assertThat(workerCalls()).isEqualTo(1);
		assertThat(bodies).allSatisfy((body) -> assertThat(body).isEqualTo(ImageFixtures.png()));
	}

	@Test
	void aFailedGenerationIsSharedByItsJoinersAndNotCached() throws Exception {
		WORKER.stubFor(post(urlEqualTo("/generate")).willReturn(aResponse().withStatus(503)
			.withHeader("Content-Type", "application/problem+json")
			.withHeader("Retry-After", "9")
			.withBody("{\"type\":\"https://imagegen.dev/worker-problems/upstream-rate-limited\",\"title\":\"Rate limited\","
					+ "\"status\":503,\"detail\":\"Perchance is rate limiting\"}")
			.withFixedDelay(1500)));
		List<CompletableFuture<EntityExchangeResult<byte[]>>> calls = new ArrayList<>();
		for (int i = 0; i < 4; i++) {
			calls.add(CompletableFuture.supplyAsync(() -> get("prompt=white+hare&seed=3")));
		}
		for (CompletableFuture<EntityExchangeResult<byte[]>> call : calls) {
			EntityExchangeResult<byte[]> result = call.get(30, TimeUnit.SECONDS);
			assertThat(result.getStatus().value()).isEqualTo(503);
			assertThat(result.getResponseHeaders().getFirst("Retry-After")).isEqualTo("9");
		}
		assertThat(workerCalls()).isEqualTo(1);

		answerWith(0);
		assertThat(get("prompt=white+hare&seed=3").getStatus().value()).isEqualTo(200);
		assertThat(workerCalls()).isEqualTo(2);
	}

	@Test
	void noCacheAsksForAFreshImageThatReplacesTheEntry() {
		get("prompt=green+frog&seed=5");
		EntityExchangeResult<byte[]> fresh = this.client.get()
			.uri("/generate?prompt=green+frog&seed=5")
			.header(HttpHeaders.CACHE_CONTROL, "no-cache")
			.exchange()
			.expectBody(byte[].class)
			.returnResult();
		EntityExchangeResult<byte[]> after = get("prompt=green+frog&seed=5");

		assertThat(fresh.getResponseHeaders().getFirst("X-Cache")).isEqualTo("MISS");
		assertThat(after.getResponseHeaders().getFirst("X-Cache")).isEqualTo("HIT");
		assertThat(after.getResponseHeaders().getFirst(HttpHeaders.AGE)).isEqualTo("0");
		assertThat(workerCalls()).isEqualTo(2);
	}

	@Test
	void headNeverCallsAWorker() {
		EntityExchangeResult<byte[]> unknown = this.client.head()
			.uri("/generate?prompt=black+cat&seed=11&format=jpeg")
			.exchange()
			.expectBody(byte[].class)
			.returnResult();
		assertThat(unknown.getStatus().value()).isEqualTo(200);
		assertThat(unknown.getResponseHeaders().getContentType()).hasToString("image/jpeg");
		assertThat(unknown.getResponseHeaders().getFirst("X-Cache")).isEqualTo("MISS");
		assertThat(unknown.getResponseHeaders().getFirst("X-Seed")).isEqualTo("11");
		assertThat(unknown.getResponseHeaders().getETag()).isNotBlank();
		assertThat(unknown.getResponseHeaders().getCacheControl()).contains("immutable");
		assertThat(unknown.getResponseHeaders().getFirst(HttpHeaders.CONTENT_LENGTH)).isNull();
		assertThat(unknown.getResponseBody()).isNullOrEmpty();

		EntityExchangeResult<byte[]> random = this.client.head().uri("/generate?prompt=black+cat").exchange()
			.expectBody(byte[].class).returnResult();
		assertThat(random.getResponseHeaders().getFirst("X-Seed")).isNull();
		assertThat(random.getResponseHeaders().getCacheControl()).isEqualTo("no-store");

		this.client.head().uri("/generate?prompt=&shape=round").exchange().expectStatus().isBadRequest();
		assertThat(workerCalls()).isZero();

		EntityExchangeResult<byte[]> stored = get("prompt=black+cat&seed=12");
		EntityExchangeResult<byte[]> head = this.client.head()
			.uri("/generate?prompt=black+cat&seed=12")
			.exchange()
			.expectBody(byte[].class)
			.returnResult();
		assertThat(head.getResponseHeaders().getFirst("X-Cache")).isEqualTo("HIT");
		assertThat(head.getResponseHeaders().getContentLength()).isEqualTo(stored.getResponseBody().length);
		assertThat(head.getResponseHeaders().getETag()).isEqualTo(stored.getResponseHeaders().getETag());
		assertThat(head.getResponseBody()).isNullOrEmpty();
		assertThat(workerCalls()).isEqualTo(1);
	}

	@Test
	void methodNotAllowedListsGetHeadAndPost() {
		this.client.put()
			.uri("/generate?prompt=fox")
			.exchange()
			.expectStatus()
			.isEqualTo(405)
			.expectHeader()
			.value(HttpHeaders.ALLOW, (allow) -> assertThat(allow.replace(" ", "").split(","))
				.containsExactlyInAnyOrder("GET", "HEAD", "POST"));
	}

	/** The cache's clock, moved by the tests. */
	@TestConfiguration
	static class ManualTicker {

		@Bean
		Ticker cacheTicker() {
			return NOW::get;
		}

	}

}

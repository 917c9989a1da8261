package dev.imagegen.api.clients;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.github.bucket4j.TimeMeter;
import com.github.tomakehurst.wiremock.WireMockServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.imagegen.api.ImageFixtures;
import dev.imagegen.api.PrivateWorker;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.context.annotation.Bean;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.test.web.reactive.server.WebTestClient;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Client identity and limits through the running API, behind a trusted proxy (the test's own loopback peer),
 * with a keys file and a clock that only moves when a test says so: exact {@code Retry-After} values, no sleeps.
 * Each test is a different client (its own forwarded address or key), so the buckets of one never touch another.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
		properties = { "WORKER_TOKEN=test-token", "WORKER_TIMEOUT=5s", "imagegen.clients.trusted-proxies=127.0.0.1,::1",
				"imagegen.clients.anon-generations-per-minute=3", "imagegen.clients.anon-max-concurrent=2",
				"imagegen.clients.key-generations-per-minute=5", "imagegen.clients.key-max-concurrent=4",
				"imagegen.clients.requests-per-minute=1000", "imagegen.clients.keys-reload-interval=100ms",
				"imagegen.clients.concurrency-retry-after=5s", "IMAGE_CACHE_SIZE=16MB" })
@AutoConfigureWebTestClient(timeout = "20s")
@ExtendWith(OutputCaptureExtension.class)
class ClientLimitsTests {

	static final WireMockServer WORKER = PrivateWorker.start();

	@AfterAll
	static void stopWorker() {
		WORKER.stop();
	}

	static final String ALICE = "alice-key-0123456789abcdef";

	static final String BOB = "bob-key-0123456789abcdef";

	static final String CAROL = "carol-key-0123456789abcdef";

	static final String PROBLEMS = "https://imagegen.dev/problems/";

	private static final Path KEYS = keysFile();

	@Autowired
	WebTestClient client;

	@Autowired
	LocalClientLimiterAccess limiter;

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		registry.add("PERCHANCE_WORKER_URL", () -> WORKER.baseUrl());
		registry.add("imagegen.clients.api-keys-file", KEYS::toString);
	}

	private static Path keysFile() {
		try {
			Path file = Files.createTempFile("imagegen-keys", ".json");
			writeKeys(file, """
					{"keys":[{"name":"alice","key":"%s","generationsPerMinute":2},
					         {"name":"bob","sha256":"%s"}]}""".formatted(ALICE, ApiKeyFile.sha256(BOB)));
			file.toFile().deleteOnExit();
			return file;
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	private static void writeKeys(Path file, String json) throws IOException {
		// Write then move, as an operator's deploy tool would: the watcher never reads half a file.
		Path next = Files.createTempFile(file.getParent(), "keys", ".tmp");
		Files.writeString(next, json);
		Files.move(next, file, StandardCopyOption.REPLACE_EXISTING,
				StandardCopyOption.ATOMIC_MOVE);
	}

	@BeforeEach
	void workerAnswersWithAnImage() {
		PrivateWorker.answerWithImage(WORKER, 0);
	}

	private WebTestClient.ResponseSpec generate(String prompt, String forwardedFor) {
		return this.client.get()
			.uri((uri) -> uri.path("/generate").queryParam("prompt", prompt).queryParam("seed", "42").build())
			.header("X-Forwarded-For", forwardedFor)
			.exchange();
	}

	private WebTestClient.ResponseSpec generateWithKey(String prompt, String header, String value) {
		return this.client.get()
			.uri((uri) -> uri.path("/generate").queryParam("prompt", prompt).queryParam("seed", "42").build())
			.header(header, value)
			.header("X-Forwarded-For", "198.51.100.200")
			.exchange();
	}

	private static int workerCalls() {
		return WORKER.findAll(postRequestedFor(urlEqualTo("/generate"))).size();
	}

	@Test
	void anonymousClientGetsItsLimitWithAnExactRetryAfter() {
		for (int i = 1; i <= 3; i++) {
			generate("fox " + i, "203.0.113.1").expectStatus().isOk();
		}
		generate("fox 4", "203.0.113.1").expectStatus()
			.isEqualTo(429)
			.expectHeader()
			.valueEquals("Retry-After", "20")
			.expectHeader()
			.valueEquals("RateLimit-Policy", "\"requests\";q=1000;w=60, \"generations\";q=3;w=60")
			.expectHeader()
			.valueEquals("RateLimit", "\"requests\";r=996;t=1, \"generations\";r=0;t=60")
			.expectBody()
			.jsonPath("$.type")
			.isEqualTo(PROBLEMS + "rate-limited");
		assertThat(workerCalls()).isEqualTo(3);
	}

	@Test
	void whatIsNotAGenerationSpendsNoGenerationToken() {
		for (int i = 1; i <= 3; i++) {
			generate("owl " + i, "203.0.113.2").expectStatus().isOk();
		}
		generate("owl 4", "203.0.113.2").expectStatus().isEqualTo(429);
		// An image the cache holds is served after the limit: a hit is not a generation.
		generate("owl 1", "203.0.113.2").expectStatus().isOk().expectHeader().valueEquals("X-Cache", "HIT");
		this.client.head()
			.uri("/generate?prompt=owl+9&seed=42")
			.header("X-Forwarded-For", "203.0.113.2")
			.exchange()
			.expectStatus()
			.isOk();
		// A 304 for an image the client already has, a HEAD, and rejected input still get their own answers.
		EntityExchangeResult<Void> notModified = this.client.get()
			.uri("/generate?prompt=owl+1&seed=42")
			.header("X-Forwarded-For", "203.0.113.2")
			.header("If-None-Match", "*")
			.exchange()
			.expectStatus()
			.isNotModified()
			.expectBody(Void.class)
			.returnResult();
		assertThat(notModified.getResponseHeaders().getFirst("RateLimit")).contains("\"generations\";r=0");
		generate("", "203.0.113.2").expectStatus().isBadRequest().expectHeader().exists("RateLimit-Policy");
		assertThat(workerCalls()).isEqualTo(3);
	}

	@Test
	void twoClientsBehindTheTrustedProxyAreLimitedApart() {
		for (int i = 1; i <= 3; i++) {
			generate("cat " + i, "203.0.113.3").expectStatus().isOk();
		}
		generate("cat 4", "203.0.113.3").expectStatus().isEqualTo(429);
		generate("cat 4", "203.0.113.4").expectStatus().isOk();
		// The client wrote the left-most hop itself; the proxy appended the address it saw.
		generate("cat 5", "203.0.113.4, 203.0.113.3").expectStatus().isEqualTo(429);
	}

	@Test
	void theConcurrencyCapRefusesTheThirdSimultaneousGeneration() throws Exception {
		WORKER
			.stubFor(post(urlEqualTo("/generate")).willReturn(aResponse().withStatus(200)
				.withHeader("Content-Type", "image/png")
				.withBody(ImageFixtures.png())
				.withFixedDelay(3000)));
		ClientIdentity client = new ClientIdentity("anonymous", "anonymous", "ip:203.0.113.9", 3, 2);
		CompletableFuture<Integer> first = CompletableFuture
			.supplyAsync(() -> generate("slow 1", "203.0.113.9").returnResult(Void.class).getStatus().value());
		CompletableFuture<Integer> second = CompletableFuture
			.supplyAsync(() -> generate("slow 2", "203.0.113.9").returnResult(Void.class).getStatus().value());
		await().atMost(Duration.ofSeconds(10)).until(() -> this.limiter.inFlight(client) == 2);

		generate("slow 3", "203.0.113.9").expectStatus()
			.isEqualTo(429)
			.expectHeader()
			.valueEquals("Retry-After", "5")
			.expectBody()
			.jsonPath("$.type")
			.isEqualTo(PROBLEMS + "too-many-concurrent");
		assertThat(first.get(20, TimeUnit.SECONDS)).isEqualTo(200);
		assertThat(second.get(20, TimeUnit.SECONDS)).isEqualTo(200);
		assertThat(this.limiter.inFlight(client)).isZero();
	}

	@Test
	void aKeyWorksInBothHeadersWithItsOwnRateAndNeverReachesTheLog(CapturedOutput output) {
		generateWithKey("deer 1", "Authorization", "Bearer " + ALICE).expectStatus().isOk();
		generateWithKey("deer 2", "X-API-Key", ALICE).expectStatus().isOk();
		generateWithKey("deer 3", "X-API-Key", ALICE).expectStatus()
			.isEqualTo(429)
			.expectHeader()
			.valueEquals("Retry-After", "30")
			.expectHeader()
			.valueEquals("RateLimit-Policy", "\"requests\";q=1000;w=60, \"generations\";q=2;w=60");
		// The anonymous quota of the same address is untouched.
		generate("deer 3", "198.51.100.200").expectStatus().isOk();
		assertThat(output.getAll()).contains("client=alice").doesNotContain(ALICE);
	}

	@Test
	void aHashedKeyGetsTheDefaultKeyRate() {
		for (int i = 1; i <= 5; i++) {
			generateWithKey("elk " + i, "X-API-Key", BOB).expectStatus().isOk();
		}
		generateWithKey("elk 6", "X-API-Key", BOB).expectStatus().isEqualTo(429).expectHeader().valueEquals("Retry-After", "12");
	}

	@Test
	void anUnknownKeyIsRefusedNeverDowngraded(CapturedOutput output) {
		generateWithKey("gnu", "Authorization", "Bearer not-a-known-key-0123456789").expectStatus()
			.isUnauthorized()
			.expectHeader()
			.valueEquals("WWW-Authenticate", "Bearer realm=\"imagegen\"")
			.expectHeader()
			.exists("RateLimit")
			.expectBody()
			.jsonPath("$.type")
			.isEqualTo(PROBLEMS + "unauthorized")
			.jsonPath("$.detail")
			.value((detail) -> assertThat((String) detail).doesNotContain("not-a-known-key"));
		assertThat(workerCalls()).isZero();
		assertThat(output.getAll()).doesNotContain("not-a-known-key");
	}

	@Test
	void aKeyInTheQueryStringIsAnUnknownParameter() {
		this.client.get()
			.uri("/generate?prompt=yak&api_key=" + ALICE)
			.exchange()
			.expectStatus()
			.isBadRequest()
			.expectBody()
			.jsonPath("$.errors[0].parameter")
			.isEqualTo("api_key");
		assertThat(workerCalls()).isZero();
	}

	@Test
	void theKeysFileIsReloadedAndABrokenOneKeepsTheLastGoodKeys(CapturedOutput output) throws IOException {
		generateWithKey("ibex", "X-API-Key", CAROL).expectStatus().isUnauthorized();
		writeKeys(KEYS, """
				{"keys":[{"name":"alice","key":"%s","generationsPerMinute":2},{"name":"bob","sha256":"%s"},
				         {"name":"carol","key":"%s"}]}""".formatted(ALICE, ApiKeyFile.sha256(BOB), CAROL));
		await().atMost(Duration.ofSeconds(10))
			.until(() -> generateWithKey("ibex", "X-API-Key", CAROL).returnResult(Void.class).getStatus().value() == 200);

		writeKeys(KEYS, "{\"keys\":[{\"name\":\"carol\"}]}");
		await().atMost(Duration.ofSeconds(10)).until(() -> output.getAll().contains("was not loaded"));
		generateWithKey("ibex 2", "X-API-Key", CAROL).expectStatus().isOk();
	}

	/** A clock that stands still: every bucket refills only when a test moves it (none does here). */
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

		@Bean
		LocalClientLimiterAccess limiterAccess(ClientLimiter limiter) {
			return new LocalClientLimiterAccess((LocalClientLimiter) limiter);
		}

	}

	/** Reads the limiter's in-flight counts for a test. */
	record LocalClientLimiterAccess(LocalClientLimiter limiter) {

		int inFlight(ClientIdentity client) {
			return this.limiter.inFlight(client);
		}

	}

}

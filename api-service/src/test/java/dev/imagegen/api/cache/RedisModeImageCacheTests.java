package dev.imagegen.api.cache;

import java.time.Duration;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.imagegen.api.ImageFixtures;
import dev.imagegen.api.PrivateWorker;
import dev.imagegen.api.redis.RedisModeSwitch;
import dev.imagegen.testsupport.TestRedis;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.http.HttpHeaders;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.test.web.reactive.server.WebTestClient;

import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The shared image cache through the running API in the Redis mode ({@code REDIS_URL} set): an image generated
 * once is served from Redis to a replica whose memory does not hold it, with no second worker call. The
 * generation itself still goes to a WireMock worker, counted here.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
		properties = { "WORKER_TOKEN=test-token", "WORKER_TIMEOUT=10s", "IMAGE_CACHE_SIZE=64MB",
				"REDIS_PREFIX=cache-mode-test:" })
@AutoConfigureWebTestClient(timeout = "20s")
@DirtiesContext
class RedisModeImageCacheTests {

	static final TestRedis REDIS = TestRedis.start();

	static final WireMockServer WORKER = PrivateWorker.start();

	static final RedisClient CLIENT = RedisClient.create(REDIS.url());

	static final StatefulRedisConnection<String, String> VERIFY = CLIENT.connect();

	@Autowired
	WebTestClient client;

	@Autowired
	ImageCache cache;

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		registry.add("PERCHANCE_WORKER_URL", WORKER::baseUrl);
	}

	@BeforeAll
	static void redisMode() {
		RedisModeSwitch.on(REDIS);
	}

	@AfterAll
	static void stop() {
		RedisModeSwitch.off();
		VERIFY.close();
		CLIENT.shutdown();
		WORKER.stop();
		REDIS.close();
	}

	@BeforeEach
	void workerAnswersWithAnImage() {
		PrivateWorker.answerWithImage(WORKER, 0);
	}

	private static int workerCalls() {
		return WORKER.findAll(postRequestedFor(urlEqualTo("/generate"))).size();
	}

	private EntityExchangeResult<byte[]> get(String query) {
		return this.client.get().uri("/generate?" + query).exchange().expectBody(byte[].class).returnResult();
	}

	@Test
	void aFixedSeedImageIsServedFromRedisWhenTheLocalTierDoesNotHoldIt() {
		assertThat(this.cache).isInstanceOf(TieredImageCache.class);
		EntityExchangeResult<byte[]> miss = get("prompt=red+fox&seed=42");
		assertThat(miss.getStatus().value()).isEqualTo(200);
		assertThat(miss.getResponseHeaders().getFirst("X-Cache")).isEqualTo("MISS");
		String etag = miss.getResponseHeaders().getETag();
		String key = "cache-mode-test:img:" + etag.substring(1, etag.length() - 1);
		await().atMost(Duration.ofSeconds(10)).until(() -> VERIFY.sync().exists(key) == 1);

		// A replica that never saw this image: its memory is empty, Redis has it.
		((TieredImageCache) this.cache).local().clear();
		EntityExchangeResult<byte[]> hit = get("prompt=red+fox&seed=42");

		assertThat(hit.getStatus().value()).isEqualTo(200);
		assertThat(hit.getResponseHeaders().getFirst("X-Cache")).isEqualTo("HIT");
		assertThat(hit.getResponseHeaders().getFirst(HttpHeaders.AGE)).isNotNull();
		assertThat(hit.getResponseHeaders().getETag()).isEqualTo(etag);
		assertThat(hit.getResponseHeaders().getFirst("X-Seed")).isEqualTo("42");
		assertThat(hit.getResponseBody()).isEqualTo(ImageFixtures.png()).isEqualTo(miss.getResponseBody());
		assertThat(workerCalls()).isEqualTo(1);

		// HEAD answers from Redis too, without a generation.
		((TieredImageCache) this.cache).local().clear();
		this.client.head()
			.uri("/generate?prompt=red+fox&seed=42")
			.exchange()
			.expectStatus()
			.isOk()
			.expectHeader()
			.valueEquals("X-Cache", "HIT")
			.expectHeader()
			.contentLength(ImageFixtures.png().length);
		assertThat(workerCalls()).isEqualTo(1);
	}

}

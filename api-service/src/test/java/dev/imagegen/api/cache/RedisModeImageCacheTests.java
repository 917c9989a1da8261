package dev.imagegen.api.cache;

import java.time.Duration;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import dev.imagegen.api.ImageFixtures;
import dev.imagegen.api.redis.RedisModeApi;
import dev.imagegen.api.redis.RedisWorkerDouble;
import dev.imagegen.testsupport.TestRedis;
import org.springframework.http.HttpHeaders;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The shared image cache through the running API in the Redis mode ({@code REDIS_URL} set): an image generated
 * once is served from Redis to a replica whose memory does not hold it, with no second generation. The worker is
 * a {@link RedisWorkerDouble} on the work stream, which counts the generations it answered.
 */
class RedisModeImageCacheTests {

	static final String PREFIX = "cache-mode-test:";

	static TestRedis redis;

	static RedisModeApi api;

	static RedisWorkerDouble.ImageServer worker;

	static RedisClient verifyClient;

	static StatefulRedisConnection<String, String> verify;

	static WebTestClient client;

	@BeforeAll
	static void start() {
		redis = TestRedis.start();
		api = RedisModeApi.start(redis, "WORKER_TIMEOUT=10s", "IMAGE_CACHE_SIZE=64MB", "REDIS_PREFIX=" + PREFIX);
		worker = RedisWorkerDouble.serveImages(redis.url(), PREFIX, "worker-a", ImageFixtures.png());
		verifyClient = RedisClient.create(redis.url());
		verify = verifyClient.connect();
		client = api.client();
		api.awaitWorker("worker-a");
	}

	@AfterAll
	static void stop() {
		verify.close();
		verifyClient.shutdown();
		worker.close();
		api.close();
		redis.close();
	}

	private static EntityExchangeResult<byte[]> get(String query) {
		return client.get().uri("/generate?" + query).exchange().expectBody(byte[].class).returnResult();
	}

	@Test
	void aFixedSeedImageIsServedFromRedisWhenTheLocalTierDoesNotHoldIt() {
		ImageCache cache = api.bean(ImageCache.class);
		assertThat(cache).isInstanceOf(TieredImageCache.class);
		EntityExchangeResult<byte[]> miss = get("prompt=red+fox&seed=42");
		assertThat(miss.getStatus().value()).isEqualTo(200);
		assertThat(miss.getResponseHeaders().getFirst("X-Cache")).isEqualTo("MISS");
		assertThat(worker.served()).hasSize(1);
		String etag = miss.getResponseHeaders().getETag();
		String key = PREFIX + "img:" + etag.substring(1, etag.length() - 1);
		await().atMost(Duration.ofSeconds(10)).until(() -> verify.sync().exists(key) == 1);

		// A replica that never saw this image: its memory is empty, Redis has it.
		((TieredImageCache) cache).local().clear();
		EntityExchangeResult<byte[]> hit = get("prompt=red+fox&seed=42");

		assertThat(hit.getStatus().value()).isEqualTo(200);
		assertThat(hit.getResponseHeaders().getFirst("X-Cache")).isEqualTo("HIT");
		assertThat(hit.getResponseHeaders().getFirst(HttpHeaders.AGE)).isNotNull();
		assertThat(hit.getResponseHeaders().getETag()).isEqualTo(etag);
		assertThat(hit.getResponseHeaders().getFirst("X-Seed")).isEqualTo("42");
		assertThat(hit.getResponseBody()).isEqualTo(ImageFixtures.png()).isEqualTo(miss.getResponseBody());
		assertThat(worker.served()).hasSize(1);

		// HEAD answers from Redis too, without a generation.
		((TieredImageCache) cache).local().clear();
		client.head()
			.uri("/generate?prompt=red+fox&seed=42")
			.exchange()
			.expectStatus()
			.isOk()
			.expectHeader()
			.valueEquals("X-Cache", "HIT")
			.expectHeader()
			.contentLength(ImageFixtures.png().length);
		assertThat(worker.served()).hasSize(1);
	}

}

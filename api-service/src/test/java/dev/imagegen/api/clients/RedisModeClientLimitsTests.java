package dev.imagegen.api.clients;

import java.time.Duration;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.imagegen.api.ImageFixtures;
import dev.imagegen.api.redis.RedisModeApi;
import dev.imagegen.api.redis.RedisWorkerDouble;
import dev.imagegen.testsupport.TestRedis;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Client limits through the running API in the Redis mode: the buckets live in Redis, and a Redis that is down
 * is {@code 503 queue-unavailable} for what needs a limit decision while health and probes still answer. The
 * worker is a {@link RedisWorkerDouble} on the work stream. Each test is a client of its own (its forwarded
 * address).
 */
class RedisModeClientLimitsTests {

	static final String PREFIX = "limits-mode-test:";

	static final String PROBLEMS = "https://imagegen.dev/problems/";

	static TestRedis redis;

	static RedisModeApi api;

	static RedisWorkerDouble.ImageServer worker;

	static RedisClient verifyClient;

	static StatefulRedisConnection<String, String> verify;

	static WebTestClient client;

	@BeforeAll
	static void start() {
		redis = TestRedis.start();
		api = RedisModeApi.start(redis, "WORKER_TIMEOUT=10s", "IMAGE_CACHE_SIZE=16MB", "REDIS_PREFIX=" + PREFIX,
				"imagegen.clients.trusted-proxies=127.0.0.1,::1", "imagegen.clients.anon-generations-per-minute=2",
				"imagegen.clients.anon-max-concurrent=2");
		worker = RedisWorkerDouble.serveImages(redis.url(), PREFIX, "worker-a", ImageFixtures.png());
		verifyClient = RedisClient.create(redis.url());
		verify = verifyClient.connect();
		client = api.client();
	}

	@AfterAll
	static void stop() {
		verify.close();
		verifyClient.shutdown();
		worker.close();
		api.close();
		redis.close();
	}

	@BeforeEach
	void theWorkerIsLive() {
		api.awaitWorker("worker-a");
	}

	private static EntityExchangeResult<byte[]> generate(String seed, String forwardedFor) {
		// A prompt of the client's own: another test's cached image (a hit costs no generation) must not answer.
		return client.get()
			.uri((uri) -> uri.path("/generate")
				.queryParam("prompt", "otter of " + forwardedFor)
				.queryParam("seed", seed)
				.build())
			.header("X-Forwarded-For", forwardedFor)
			.exchange()
			.expectBody(byte[].class)
			.returnResult();
	}

	@Test
	void theGenerationQuotaIsKeptInRedis() {
		assertThat(api.bean(ClientLimiter.class)).isInstanceOf(RedisClientLimiter.class);
		assertThat(generate("1", "203.0.113.20").getStatus().value()).isEqualTo(200);
		assertThat(generate("2", "203.0.113.20").getStatus().value()).isEqualTo(200);
		EntityExchangeResult<byte[]> refused = generate("3", "203.0.113.20");

		assertThat(refused.getStatus().value()).isEqualTo(429);
		assertThat(new String(refused.getResponseBody())).contains(PROBLEMS + "rate-limited");
		assertThat(Long.parseLong(refused.getResponseHeaders().getFirst("Retry-After"))).isBetween(1L, 30L);
		assertThat(refused.getResponseHeaders().getFirst("RateLimit")).contains("\"generations\";r=0");
		assertThat(verify.sync().exists(PREFIX + "limits:generations:ip:203.0.113.20@2")).isEqualTo(1);
		assertThat(verify.sync().exists(PREFIX + "limits:requests:ip:203.0.113.20")).isEqualTo(1);
		// Both generations ended: their leases are gone.
		await().atMost(Duration.ofSeconds(10)).until(() -> verify.sync().zcard(PREFIX + "leases:ip:203.0.113.20") == 0);
	}

	@Test
	void redisDownIsQueueUnavailableForGenerationsWhileHealthAndProbesStillAnswer() {
		assertThat(generate("1", "203.0.113.21").getStatus().value()).isEqualTo(200);
		redis.pause();
		try {
			EntityExchangeResult<byte[]> down = generate("2", "203.0.113.21");
			assertThat(down.getStatus().value()).isEqualTo(503);
			assertThat(down.getResponseHeaders().getContentType()).isEqualTo(MediaType.APPLICATION_PROBLEM_JSON);
			assertThat(new String(down.getResponseBody())).contains(PROBLEMS + "queue-unavailable");
			assertThat(down.getResponseHeaders().getFirst("Retry-After")).isEqualTo("5");

			EntityExchangeResult<byte[]> health = client.get().uri("/health").exchange().expectBody(byte[].class).returnResult();
			assertThat(health.getResponseHeaders().getContentType()).isEqualTo(MediaType.APPLICATION_JSON);
			assertThat(new String(health.getResponseBody())).contains("\"status\"").doesNotContain("queue-unavailable");
			client.get().uri("/livez").exchange().expectStatus().isOk();
		}
		finally {
			redis.resume();
		}
		// Redis came back empty: the worker's next heartbeat makes it live again, the limits start afresh.
		await().atMost(Duration.ofSeconds(60))
			.pollInterval(Duration.ofMillis(250))
			.until(() -> generate("3", "203.0.113.21").getStatus().value() == 200);
	}

}

package dev.imagegen.api.clients;

import java.time.Duration;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.imagegen.api.PrivateWorker;
import dev.imagegen.api.redis.RedisModeSwitch;
import dev.imagegen.testsupport.TestRedis;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.http.MediaType;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Client limits through the running API in the Redis mode: the buckets live in Redis, and a Redis that is down
 * is {@code 503 queue-unavailable} for what needs a limit decision while health and probes still answer. Each
 * test is a client of its own (its forwarded address).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
		properties = { "WORKER_TOKEN=test-token", "WORKER_TIMEOUT=10s", "IMAGE_CACHE_SIZE=16MB",
				"REDIS_PREFIX=limits-mode-test:", "imagegen.clients.trusted-proxies=127.0.0.1,::1",
				"imagegen.clients.anon-generations-per-minute=2", "imagegen.clients.anon-max-concurrent=2" })
@AutoConfigureWebTestClient(timeout = "30s")
@DirtiesContext
class RedisModeClientLimitsTests {

	static final TestRedis REDIS = TestRedis.start();

	static final WireMockServer WORKER = PrivateWorker.start();

	static final RedisClient CLIENT = RedisClient.create(REDIS.url());

	static final StatefulRedisConnection<String, String> VERIFY = CLIENT.connect();

	static final String PROBLEMS = "https://imagegen.dev/problems/";

	@Autowired
	WebTestClient client;

	@Autowired
	ClientLimiter limiter;

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

	private EntityExchangeResult<byte[]> generate(String seed, String forwardedFor) {
		return this.client.get()
			.uri((uri) -> uri.path("/generate").queryParam("prompt", "otter").queryParam("seed", seed).build())
			.header("X-Forwarded-For", forwardedFor)
			.exchange()
			.expectBody(byte[].class)
			.returnResult();
	}

	@Test
	void theGenerationQuotaIsKeptInRedis() {
		assertThat(this.limiter).isInstanceOf(RedisClientLimiter.class);
		assertThat(generate("1", "203.0.113.20").getStatus().value()).isEqualTo(200);
		assertThat(generate("2", "203.0.113.20").getStatus().value()).isEqualTo(200);
		EntityExchangeResult<byte[]> refused = generate("3", "203.0.113.20");

		assertThat(refused.getStatus().value()).isEqualTo(429);
		assertThat(new String(refused.getResponseBody())).contains(PROBLEMS + "rate-limited");
		assertThat(Long.parseLong(refused.getResponseHeaders().getFirst("Retry-After"))).isBetween(1L, 30L);
		assertThat(refused.getResponseHeaders().getFirst("RateLimit")).contains("\"generations\";r=0");
		assertThat(VERIFY.sync().exists("limits-mode-test:limits:generations:ip:203.0.113.20@2")).isEqualTo(1);
		assertThat(VERIFY.sync().exists("limits-mode-test:limits:requests:ip:203.0.113.20")).isEqualTo(1);
		// Both generations ended: their leases are gone.
		await().atMost(Duration.ofSeconds(10))
			.until(() -> VERIFY.sync().zcard("limits-mode-test:leases:ip:203.0.113.20") == 0);
	}

	@Test
	void redisDownIsQueueUnavailableForGenerationsWhileHealthAndProbesStillAnswer() {
		assertThat(generate("1", "203.0.113.21").getStatus().value()).isEqualTo(200);
		REDIS.pause();
		try {
			EntityExchangeResult<byte[]> down = generate("2", "203.0.113.21");
			assertThat(down.getStatus().value()).isEqualTo(503);
			assertThat(down.getResponseHeaders().getContentType()).isEqualTo(MediaType.APPLICATION_PROBLEM_JSON);
			assertThat(new String(down.getResponseBody())).contains(PROBLEMS + "queue-unavailable");
			assertThat(down.getResponseHeaders().getFirst("Retry-After")).isEqualTo("5");

			EntityExchangeResult<byte[]> health = this.client.get()
				.uri("/health")
				.exchange()
				.expectBody(byte[].class)
				.returnResult();
			assertThat(health.getResponseHeaders().getContentType()).isEqualTo(MediaType.APPLICATION_JSON);
			assertThat(new String(health.getResponseBody())).contains("\"status\"").doesNotContain("queue-unavailable");
			this.client.get().uri("/livez").exchange().expectStatus().isOk();
		}
		finally {
			REDIS.resume();
		}
		await().atMost(Duration.ofSeconds(60))
			.pollInterval(Duration.ofMillis(250))
			.until(() -> generate("3", "203.0.113.21").getStatus().value() == 200);
	}

}

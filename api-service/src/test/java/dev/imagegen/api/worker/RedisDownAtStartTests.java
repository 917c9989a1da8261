package dev.imagegen.api.worker;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import dev.imagegen.api.ImageFixtures;
import dev.imagegen.api.redis.RedisModeApi;
import dev.imagegen.api.redis.RedisWorkerDouble;
import dev.imagegen.testsupport.TestRedis;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * An API started while Redis is down: it starts, says why it is DOWN, answers {@code 503 queue-unavailable} in time,
 * and serves generations once Redis is there, without a restart.
 */
class RedisDownAtStartTests {

	@Test
	void theApiStartsWithoutRedisAndRecoversWhenItComes() throws Exception {
		try (TestRedis redis = TestRedis.start()) {
			redis.pause();
			try (RedisModeApi api = RedisModeApi.start(redis, "WORKER_TIMEOUT=10s")) {
				WebTestClient client = api.client();
				client.get()
					.uri("/health")
					.exchange()
					.expectStatus()
					.isEqualTo(503)
					.expectBody()
					.jsonPath("$.redis.status")
					.isEqualTo("DOWN")
					.jsonPath("$.redis.reason")
					.isNotEmpty()
					.jsonPath("$.redis.reason")
					.value(String.class, (reason) -> assertThat(reason).doesNotContain(Integer.toString(redis.port())));
				long start = System.nanoTime();
				client.get()
					.uri("/generate?prompt=fox")
					.exchange()
					.expectStatus()
					.isEqualTo(503)
					.expectHeader()
					.valueEquals("Retry-After", "5")
					.expectBody()
					.jsonPath("$.type")
					.isEqualTo("https://imagegen.dev/problems/queue-unavailable");
				assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));

				redis.resume();
				try (RedisWorkerDouble worker = new RedisWorkerDouble(redis.url())) {
					await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).until(() -> {
						worker.heartbeat("worker-a", 1);
						return client.get().uri("/health").exchange().returnResult(byte[].class).getStatus().value() == 200;
					});
					byte[] png = ImageFixtures.png();
					CompletableFuture<Void> served = CompletableFuture.runAsync(() -> {
						RedisWorkerDouble.Entry entry = worker.take("worker-a", Duration.ofSeconds(10));
						assertThat(entry).isNotNull();
						worker.succeed(entry, "worker-a", png, "image/png", 4, true);
					});
					byte[] body = client.get()
						.uri("/generate?prompt=fox")
						.exchange()
						.expectStatus()
						.isOk()
						.expectBody()
						.returnResult()
						.getResponseBody();
					assertThat(body).isEqualTo(png);
					served.get(10, TimeUnit.SECONDS);
				}
			}
		}
	}

}

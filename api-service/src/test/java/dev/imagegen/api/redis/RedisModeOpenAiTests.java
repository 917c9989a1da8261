package dev.imagegen.api.redis;

import java.net.URI;
import java.time.Duration;
import java.util.Base64;
import java.util.List;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.models.images.Image;
import com.openai.models.images.ImageGenerateParams;
import com.openai.models.images.ImagesResponse;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.imagegen.api.ImageFixtures;
import dev.imagegen.testsupport.TestRedis;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.EntityExchangeResult;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The OpenAI-compatible Images API in the Redis mode, through the official OpenAI Java SDK: two API replicas on one
 * Redis and a {@link RedisWorkerDouble} on the work stream. A URL handed out by one replica is served by the other
 * with the same bytes and headers (contract: any API replica answers any request); a name kept nowhere is a
 * {@code 404}; Redis down is the Redis mode's {@code 503 queue-unavailable}.
 */
class RedisModeOpenAiTests {

	static final String PREFIX = "openai-mode-test:";

	/** The headers of an image answer, which must not depend on the replica that answers. */
	static final List<String> IMAGE_HEADERS = List.of(HttpHeaders.CONTENT_TYPE, HttpHeaders.CONTENT_LENGTH,
			HttpHeaders.ETAG, "X-Seed", HttpHeaders.CONTENT_DISPOSITION, HttpHeaders.CACHE_CONTROL);

	static TestRedis redis;

	static RedisModeApi first;

	static RedisModeApi second;

	static RedisWorkerDouble.ImageServer worker;

	static RedisClient verifyClient;

	static StatefulRedisConnection<String, String> verify;

	@BeforeAll
	static void start() {
		redis = TestRedis.start();
		first = RedisModeApi.start(redis, "WORKER_TIMEOUT=10s", "REDIS_PREFIX=" + PREFIX);
		second = RedisModeApi.start(redis, "WORKER_TIMEOUT=10s", "REDIS_PREFIX=" + PREFIX);
		worker = RedisWorkerDouble.serveImages(redis.url(), PREFIX, "worker-openai", ImageFixtures.png());
		verifyClient = RedisClient.create(redis.url());
		verify = verifyClient.connect();
	}

	/** Both replicas see the worker: at first, and again after the test that stops Redis (it comes back empty). */
	@BeforeEach
	void workerIsLive() {
		first.awaitWorker("worker-openai");
		second.awaitWorker("worker-openai");
	}

	@AfterAll
	static void stop() {
		verify.close();
		verifyClient.shutdown();
		worker.close();
		second.close();
		first.close();
		redis.close();
	}

	/** No retries: a test must see the first answer, not the SDK's second try. */
	private static OpenAIClient sdk(RedisModeApi replica) {
		return OpenAIOkHttpClient.builder()
			.baseUrl(replica.baseUrl() + "/v1")
			.apiKey("sk-anything")
			.maxRetries(0)
			.build();
	}

	private static long seedOf(Image image) {
		return image._additionalProperties().get("seed").convert(Long.class);
	}

	private static EntityExchangeResult<byte[]> fetch(RedisModeApi replica, String path) {
		return replica.client().get().uri(path).exchange().expectBody(byte[].class).returnResult();
	}

	@Test
	void aUrlHandedOutByOneReplicaIsServedByTheOtherWithTheSameBytesAndHeaders() {
		OpenAIClient openai = sdk(first);
		ImagesResponse response;
		try {
			response = openai.images()
				.generate(ImageGenerateParams.builder()
					.prompt("a red fox in the snow")
					.responseFormat(ImageGenerateParams.ResponseFormat.URL)
					.putAdditionalBodyProperty("seed", JsonValue.from(42))
					.build());
		}
		finally {
			openai.close();
		}
		Image image = response.data().orElseThrow().get(0);
		assertThat(seedOf(image)).isEqualTo(42);
		URI url = URI.create(image.url().orElseThrow());
		assertThat(url.getPort()).isEqualTo(first.port());
		String path = url.getPath();
		String name = path.substring("/v1/images/".length());
		// Shared before the answer was sent: no waiting for a background write.
		assertThat(verify.sync().pttl(PREFIX + "url:" + name)).isBetween(Duration.ofMinutes(59).toMillis(),
				Duration.ofHours(1).toMillis());

		EntityExchangeResult<byte[]> onSecond = fetch(second, path);
		EntityExchangeResult<byte[]> onFirst = fetch(first, path);

		assertThat(onSecond.getStatus().value()).isEqualTo(200);
		assertThat(onSecond.getResponseBody()).isEqualTo(ImageFixtures.png()).isEqualTo(onFirst.getResponseBody());
		assertThat(onSecond.getResponseHeaders().getContentType()).isEqualTo(MediaType.IMAGE_PNG);
		assertThat(onSecond.getResponseHeaders().getFirst("X-Seed")).isEqualTo("42");
		for (String header : IMAGE_HEADERS) {
			assertThat(onSecond.getResponseHeaders().get(header)).as(header)
				.isNotEmpty()
				.isEqualTo(onFirst.getResponseHeaders().get(header));
		}
		// One generation for the call; the fetches asked no worker.
		assertThat(worker.served()).hasSize(1);
	}

	@Test
	void base64ThroughTheOtherReplica() {
		OpenAIClient openai = sdk(second);
		ImagesResponse response;
		try {
			response = openai.images()
				.generate(ImageGenerateParams.builder()
					.prompt("a grey heron")
					.n(2)
					.responseFormat(ImageGenerateParams.ResponseFormat.B64_JSON)
					.putAdditionalBodyProperty("seed", JsonValue.from(100))
					.build());
		}
		finally {
			openai.close();
		}
		List<Image> images = response.data().orElseThrow();
		assertThat(images).extracting(RedisModeOpenAiTests::seedOf).containsExactly(100L, 101L);
		assertThat(images).allSatisfy((image) -> assertThat(Base64.getDecoder().decode(image.b64Json().orElseThrow()))
			.isEqualTo(ImageFixtures.png()));
	}

	@Test
	void aNameKeptNowhereIsNotFoundOnEveryReplica() {
		for (RedisModeApi replica : List.of(first, second)) {
			replica.client()
				.get()
				.uri("/v1/images/AAAAAAAAAAAAAAAAAAAAAA")
				.exchange()
				.expectStatus()
				.isNotFound()
				.expectHeader()
				.contentType(MediaType.APPLICATION_JSON)
				.expectBody()
				.jsonPath("$.error.code")
				.isEqualTo("not_found");
		}
	}

	@Test
	void redisDownIsQueueUnavailableWithRetryAfter() {
		// A URL the second replica has never served: only Redis could tell it.
		String path = URI.create(first.client()
			.post()
			.uri("/v1/images/generations")
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue("{\"prompt\":\"a lynx\",\"seed\":3}")
			.exchange()
			.expectStatus()
			.isOk()
			.expectBody(String.class)
			.returnResult()
			.getResponseBody()
			.replaceAll("(?s).*\"url\":\"([^\"]+)\".*", "$1")).getPath();
		redis.pause();
		try {
			second.client()
				.get()
				.uri(path)
				.exchange()
				.expectStatus()
				.isEqualTo(503)
				.expectHeader()
				.valueEquals(HttpHeaders.RETRY_AFTER, "5")
				.expectBody()
				.jsonPath("$.error.code")
				.isEqualTo("queue_unavailable");
		}
		finally {
			redis.resume();
		}
		// Redis came back empty (nothing persists): the URL is gone from it, and a replica that never held it says
		// so; the worker's next heartbeat makes generations work again.
		await().atMost(Duration.ofSeconds(60))
			.pollInterval(Duration.ofMillis(250))
			.until(() -> fetch(second, path).getStatus().value() == 404);
		await().atMost(Duration.ofSeconds(60))
			.pollInterval(Duration.ofMillis(250))
			.until(() -> second.client()
				.post()
				.uri("/v1/images/generations")
				.contentType(MediaType.APPLICATION_JSON)
				.bodyValue("{\"prompt\":\"a lynx\",\"seed\":4}")
				.exchange()
				.returnResult(byte[].class)
				.getStatus()
				.value() == 200);
	}

}

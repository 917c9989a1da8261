package dev.imagegen.api.worker;

import java.time.Duration;

import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.util.function.Tuple2;

import dev.imagegen.api.ImageFixtures;
import dev.imagegen.api.redis.RedisModeApi;
import dev.imagegen.api.redis.RedisWorkerDouble;
import dev.imagegen.testsupport.TestRedis;
import org.springframework.http.ResponseEntity;
import org.springframework.web.reactive.function.client.WebClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two API replicas on one Redis: identical fixed-seed requests that arrive at both at once are one generation (one
 * stream entry, {@code P:flight:}), and both callers get its image.
 */
class RedisSingleFlightTests {

	static TestRedis redis;

	static RedisModeApi first;

	static RedisModeApi second;

	static RedisWorkerDouble worker;

	@BeforeAll
	static void start() {
		redis = TestRedis.start();
		first = RedisModeApi.start(redis, "WORKER_TIMEOUT=20s");
		second = RedisModeApi.start(redis, "WORKER_TIMEOUT=20s");
		worker = new RedisWorkerDouble(redis.url());
	}

	@AfterAll
	static void stop() {
		worker.close();
		second.close();
		first.close();
		redis.close();
	}

	@Test
	void identicalFixedSeedRequestsOnTwoReplicasAreOneGeneration() {
		worker.heartbeat("worker-a", 2);
		String uri = "/generate?prompt=one lighthouse&seed=99";
		Mono<ResponseEntity<byte[]>> viaFirst = WebClient.create(first.baseUrl()).get().uri(uri).retrieve().toEntity(byte[].class);
		Mono<ResponseEntity<byte[]>> viaSecond = WebClient.create(second.baseUrl()).get().uri(uri).retrieve().toEntity(byte[].class);
		var both = Mono.zip(viaFirst, viaSecond).toFuture();

		RedisWorkerDouble.Entry entry = worker.take("worker-a", Duration.ofSeconds(10));
		assertThat(entry).isNotNull();
		// One replica added the entry, the other waits on its generation instead of adding one.
		await().atMost(Duration.ofSeconds(10)).until(() -> joins(first) + joins(second) == 1);
		assertThat(worker.streamLength()).isEqualTo(1);
		assertThat(worker.redis().get("imagegen:flight:" + flightKeySuffix())).isEqualTo(entry.gen());
		assertThat(worker.take("worker-a", Duration.ofMillis(200))).as("a second entry").isNull();

		byte[] png = ImageFixtures.png();
		worker.succeed(entry, "worker-a", png, "image/png", 99, true);
		Tuple2<ResponseEntity<byte[]>, ResponseEntity<byte[]>> answers = both.join();
		assertThat(answers.getT1().getStatusCode().value()).isEqualTo(200);
		assertThat(answers.getT2().getStatusCode().value()).isEqualTo(200);
		assertThat(answers.getT1().getBody()).isEqualTo(png);
		assertThat(answers.getT2().getBody()).isEqualTo(png);
		assertThat(answers.getT1().getHeaders().getFirst("X-Seed")).isEqualTo("99");
		// Whoever read the result first released the flight.
		await().atMost(Duration.ofSeconds(5)).until(() -> worker.redis().keys("imagegen:flight:*").isEmpty());
	}

	/** The one flight key there is (its fingerprint is the API's business). */
	private static String flightKeySuffix() {
		return worker.redis().keys("imagegen:flight:*").get(0).substring("imagegen:flight:".length());
	}

	private static double joins(RedisModeApi api) {
		return api.bean(MeterRegistry.class).counter("imagegen.redis.flight.joins").count();
	}

}

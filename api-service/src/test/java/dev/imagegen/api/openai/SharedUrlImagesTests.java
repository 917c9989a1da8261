package dev.imagegen.api.openai;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import dev.imagegen.api.cache.ImageMemory;
import dev.imagegen.api.cache.StoredImage;
import dev.imagegen.api.generate.GenerateRequest;
import dev.imagegen.api.generate.ImageFormat;
import dev.imagegen.api.generate.ImageGenerator;
import dev.imagegen.api.generate.Shape;
import dev.imagegen.api.problem.ApiProblem;
import dev.imagegen.api.problem.ProblemTypes;
import dev.imagegen.api.redis.LazyRedisConnection;
import dev.imagegen.api.redis.RedisProperties;
import dev.imagegen.api.redis.RedisUnavailable;
import dev.imagegen.testsupport.TestRedis;
import org.springframework.http.MediaType;
import org.springframework.util.unit.DataSize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * The URL images of the Redis mode against a real Redis: each {@link Replica} is what one API replica has (its own
 * memory and clock), all of them sharing one Redis. Each test uses names of its own.
 */
class SharedUrlImagesTests {

	static final TestRedis REDIS = TestRedis.start();

	static final RedisClient CLIENT = RedisClient.create(REDIS.url());

	static final StatefulRedisConnection<String, String> VERIFY = CLIENT.connect();

	static final RedisProperties KEYS = new RedisProperties(true, "url-test:", 16);

	static final byte[] IMAGE = "not really a jpeg, but bytes".getBytes(StandardCharsets.UTF_8);

	@AfterAll
	static void stopRedis() {
		VERIFY.close();
		CLIENT.shutdown();
		REDIS.close();
	}

	/** One replica's URL images: its own memory and clock, one Redis for all. */
	static final class Replica implements AutoCloseable {

		final AtomicLong nanos = new AtomicLong();

		final LazyRedisConnection connection = new LazyRedisConnection(() -> CLIENT.connect(ByteArrayCodec.INSTANCE),
				Duration.ofSeconds(2));

		final UrlImageStore local = new UrlImageStore(new OpenAiProperties(DataSize.ofMegabytes(1)), this.nanos::get,
				new SimpleMeterRegistry(), new ImageMemory(Long.MAX_VALUE));

		final SharedUrlImages images = new SharedUrlImages(this.local, new RedisUrlImageTier(this.connection, KEYS));

		String keep(ImageGenerator.Generated image) {
			return this.images.keep(image).block(Duration.ofSeconds(10));
		}

		UrlImage find(String name) {
			return this.images.find(name).block(Duration.ofSeconds(10));
		}

		@Override
		public void close() {
			this.connection.close();
		}

	}

	private static ImageGenerator.Generated generated(long seed) {
		GenerateRequest request = new GenerateRequest("a fox", "", seed, 7.0, Shape.SQUARE, ImageFormat.JPEG);
		return new ImageGenerator.Generated(request, new StoredImage(IMAGE, MediaType.IMAGE_JPEG, seed, 0),
				request.fingerprint(), false, Duration.ZERO);
	}

	private static RedisCommands<String, String> redis() {
		return VERIFY.sync();
	}

	@Test
	void aUrlKeptByOneReplicaIsServedByAnotherWithEverythingItsAnswerNeeds() {
		try (Replica first = new Replica(); Replica second = new Replica()) {
			ImageGenerator.Generated generated = generated(42);
			String name = first.keep(generated);

			// In Redis before the name is handed out, with the hour as its TTL.
			assertThat(redis().pttl(KEYS.key("url", name))).isBetween(Duration.ofMinutes(59).toMillis(),
					UrlImageStore.LIFETIME.toMillis());
			UrlImage served = second.find(name);

			assertThat(served).isNotNull();
			assertThat(served.image().bytes()).isEqualTo(IMAGE);
			assertThat(served.image().mediaType()).isEqualTo(MediaType.IMAGE_JPEG);
			assertThat(served.image().seed()).isEqualTo(42);
			assertThat(served).usingRecursiveComparison()
				.ignoringFields("image")
				.isEqualTo(UrlImage.of(generated));
			assertThat(served.filename()).endsWith("-42.jpg");
			// Kept in the second replica's memory from then on.
			assertThat(second.local.get(name)).hasValueSatisfying(
					(local) -> assertThat(local.image().bytes()).isEqualTo(IMAGE));
		}
	}

	@Test
	void theRedisEntryIsTheDocumentedHash() {
		try (Replica replica = new Replica()) {
			ImageGenerator.Generated generated = generated(5);
			String name = replica.keep(generated);

			Map<String, String> hash = redis().hgetall(KEYS.key("url", name));

			assertThat(hash).containsOnlyKeys("image", "contentType", "seed", "fingerprint", "filename")
				.containsEntry("image", new String(IMAGE, StandardCharsets.UTF_8))
				.containsEntry("contentType", "image/jpeg")
				.containsEntry("seed", "5")
				.containsEntry("fingerprint", generated.fingerprint())
				.containsEntry("filename", UrlImage.of(generated).filename());
		}
	}

	@Test
	void aNameKeptNowhereIsEmptyAndSoIsAnythingThatIsNoName() {
		try (Replica replica = new Replica()) {
			assertThat(replica.find("AAAAAAAAAAAAAAAAAAAAAA")).isNull();
			assertThat(replica.find("../../etc/passwd")).isNull();
		}
	}

	@Test
	void aUrlReadFromRedisEndsOnThisReplicaWhenItEndsInRedis() {
		try (Replica first = new Replica(); Replica second = new Replica()) {
			String name = first.keep(generated(6));
			// As if handed out 50 minutes ago: ten minutes left.
			redis().pexpire(KEYS.key("url", name), Duration.ofMinutes(10).toMillis());

			assertThat(second.find(name)).isNotNull();
			second.nanos.addAndGet(Duration.ofMinutes(9).toNanos());
			assertThat(second.local.get(name)).isPresent();
			second.nanos.addAndGet(Duration.ofMinutes(1).plusSeconds(1).toNanos());
			assertThat(second.local.get(name)).isEmpty();
		}
	}

	@Test
	void redisDownIsQueueUnavailableForAnUnknownNameAndForANewUrlButNotForOneHeldHere() {
		try (Replica replica = new Replica()) {
			// Connected before the outage, as a running replica is.
			String held = replica.keep(generated(7));
			REDIS.pause();
			try {
				assertThatExceptionOfType(ApiProblem.class).isThrownBy(() -> replica.find("BBBBBBBBBBBBBBBBBBBBBB"))
					.satisfies(SharedUrlImagesTests::queueUnavailable);
				assertThatExceptionOfType(ApiProblem.class).isThrownBy(() -> replica.keep(generated(8)))
					.satisfies(SharedUrlImagesTests::queueUnavailable);
				// What this replica holds it still serves: its memory needs no Redis.
				assertThat(replica.find(held)).isNotNull();
			}
			finally {
				REDIS.resume();
			}
			await().atMost(Duration.ofSeconds(60))
				.pollInterval(Duration.ofMillis(200))
				.ignoreExceptions()
				.until(() -> replica.keep(generated(9)) != null);
		}
	}

	private static void queueUnavailable(ApiProblem problem) {
		assertThat(problem.type()).isEqualTo(ProblemTypes.QUEUE_UNAVAILABLE);
		assertThat(problem.status()).isEqualTo(503);
		assertThat(problem.retryAfter()).isEqualTo(RedisUnavailable.RETRY_AFTER);
	}

}

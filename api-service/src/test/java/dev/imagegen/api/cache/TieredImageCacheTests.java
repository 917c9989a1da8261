package dev.imagegen.api.cache;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import dev.imagegen.api.redis.LazyRedisConnection;
import dev.imagegen.api.redis.RedisProperties;
import dev.imagegen.testsupport.TestRedis;
import org.springframework.http.MediaType;
import org.springframework.util.unit.DataSize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.awaitility.Awaitility.await;

/**
 * The two-tier image cache against a real Redis: each {@link Replica} is what one API replica has (its own
 * memory, clocks moved by hand, meters), all of them sharing one Redis. Each test uses keys of its own.
 */
class TieredImageCacheTests {

	static final TestRedis REDIS = TestRedis.start();

	static final RedisClient CLIENT = RedisClient.create(REDIS.url());

	static final StatefulRedisConnection<String, String> VERIFY = CLIENT.connect();

	static final RedisProperties KEYS = new RedisProperties(true, "tiered-test:", 16);

	static final byte[] IMAGE = "not really a png, but bytes".getBytes(StandardCharsets.UTF_8);

	@AfterAll
	static void stopRedis() {
		VERIFY.close();
		CLIENT.shutdown();
		REDIS.close();
	}

	/** One replica's cache: its own local tier and ticker, a wall clock of its own, one Redis for all. */
	static final class Replica implements AutoCloseable {

		final AtomicLong nanos = new AtomicLong();

		final AtomicLong wallMillis = new AtomicLong(1_700_000_000_000L);

		final MeterRegistry meters = new SimpleMeterRegistry();

		final LazyRedisConnection connection = new LazyRedisConnection(() -> CLIENT.connect(ByteArrayCodec.INSTANCE),
				Duration.ofSeconds(2));

		final TieredImageCache cache;

		Replica(Duration ttl) {
			CacheProperties properties = new CacheProperties(DataSize.ofMegabytes(64), ttl);
			LocalImageCache local = new LocalImageCache(properties, this.nanos::get, this.meters,
					new ImageMemory(Long.MAX_VALUE));
			this.cache = new TieredImageCache(local, new RedisImageTier(this.connection, KEYS, ttl),
					this.wallMillis::get, this.meters);
		}

		Replica() {
			this(Duration.ofHours(1));
		}

		StoredImage find(String key) {
			return this.cache.find(key).block(Duration.ofSeconds(10));
		}

		double count(String operation, String result) {
			return this.meters.find("imagegen.cache.shared")
				.tags("operation", operation, "result", result)
				.counters()
				.stream()
				.mapToDouble((counter) -> counter.count())
				.sum();
		}

		@Override
		public void close() {
			this.connection.close();
		}

	}

	private static RedisCommands<String, String> redis() {
		return VERIFY.sync();
	}

	private static boolean inRedis(String fingerprint) {
		return redis().exists(KEYS.key("img", fingerprint)) == 1;
	}

	@Test
	void anImageStoredByOneReplicaIsAHitOnAnotherWithItsOriginalAge() {
		try (Replica first = new Replica(); Replica second = new Replica()) {
			second.wallMillis.set(first.wallMillis.get() + 7_000);
			first.cache.put("fp-fox", IMAGE, MediaType.IMAGE_PNG, 42);
			await().atMost(Duration.ofSeconds(10)).until(() -> inRedis("fp-fox"));

			StoredImage hit = second.find("fp-fox");

			assertThat(hit).isNotNull();
			assertThat(hit.bytes()).isEqualTo(IMAGE);
			assertThat(hit.mediaType()).isEqualTo(MediaType.IMAGE_PNG);
			assertThat(hit.seed()).isEqualTo(42);
			assertThat(second.cache.age(hit)).isEqualTo(Duration.ofSeconds(7));
			assertThat(second.count("lookup", "hit")).isEqualTo(1);
			assertThat(first.count("store", "stored")).isEqualTo(1);
			// The hit filled the second replica's memory: the next lookup does not ask Redis.
			assertThat(second.cache.local().get("fp-fox")).hasValueSatisfying(
					(local) -> assertThat(local.bytes()).isEqualTo(IMAGE));
			second.nanos.addAndGet(Duration.ofSeconds(3).toNanos());
			assertThat(second.cache.age(second.find("fp-fox"))).isEqualTo(Duration.ofSeconds(10));
			assertThat(second.count("lookup", "hit")).isEqualTo(1);
		}
	}

	@Test
	void theRedisEntryIsTheDocumentedHashWithTheCacheTtl() {
		try (Replica replica = new Replica(Duration.ofMinutes(10))) {
			replica.cache.put("fp-wire", IMAGE, MediaType.IMAGE_JPEG, 7);
			await().atMost(Duration.ofSeconds(10)).until(() -> inRedis("fp-wire"));

			try (StatefulRedisConnection<byte[], byte[]> binary = CLIENT.connect(ByteArrayCodec.INSTANCE)) {
				Map<String, byte[]> hash = new HashMap<>();
				binary.sync()
					.hgetall(KEYS.key("img", "fp-wire").getBytes(StandardCharsets.UTF_8))
					.forEach((field, value) -> hash.put(new String(field, StandardCharsets.UTF_8), value));
				assertThat(hash).containsOnlyKeys("image", "contentType", "seed", "storedAt");
				assertThat(hash.get("image")).isEqualTo(IMAGE);
				assertThat(new String(hash.get("contentType"), StandardCharsets.UTF_8)).isEqualTo("image/jpeg");
				assertThat(new String(hash.get("seed"), StandardCharsets.UTF_8)).isEqualTo("7");
				assertThat(new String(hash.get("storedAt"), StandardCharsets.UTF_8))
					.isEqualTo(Long.toString(replica.wallMillis.get()));
			}
			assertThat(redis().pttl(KEYS.key("img", "fp-wire"))).isBetween(1L, Duration.ofMinutes(10).toMillis());
		}
	}

	@Test
	void anEntryExpiresInRedisAfterTheTtl() {
		try (Replica writer = new Replica(Duration.ofSeconds(1))) {
			writer.cache.put("fp-short", IMAGE, MediaType.IMAGE_PNG, 1);
			await().atMost(Duration.ofSeconds(10)).until(() -> inRedis("fp-short"));
			await().atMost(Duration.ofSeconds(10)).until(() -> !inRedis("fp-short"));
			try (Replica reader = new Replica(Duration.ofSeconds(1))) {
				assertThat(reader.find("fp-short")).isNull();
				assertThat(reader.count("lookup", "miss")).isEqualTo(1);
			}
		}
	}

	@Test
	void anImageFromRedisLeavesTheLocalTierWhenItsSharedLifeEnds() {
		try (Replica first = new Replica(Duration.ofSeconds(10)); Replica second = new Replica(Duration.ofSeconds(10))) {
			second.wallMillis.set(first.wallMillis.get() + 7_000);
			first.cache.put("fp-aged", IMAGE, MediaType.IMAGE_PNG, 3);
			await().atMost(Duration.ofSeconds(10)).until(() -> inRedis("fp-aged"));
			assertThat(second.find("fp-aged")).isNotNull();

			second.nanos.addAndGet(Duration.ofSeconds(2).toNanos());
			assertThat(second.cache.local().get("fp-aged")).isPresent();
			// 7 s old when it arrived, 10 s to live: 3 s later it is gone here too, not 10 s later.
			second.nanos.addAndGet(Duration.ofSeconds(1).toNanos());
			assertThat(second.cache.local().get("fp-aged")).isEmpty();
		}
	}

	@Test
	void anImageTooLargeForRedisStaysLocal() {
		try (Replica replica = new Replica()) {
			byte[] large = new byte[(int) TieredImageCache.MAX_SHARED.toBytes() + 1];
			replica.cache.put("fp-large", large, MediaType.IMAGE_PNG, 5);

			assertThat(replica.count("store", "too-large")).isEqualTo(1);
			assertThat(replica.find("fp-large").bytes()).isEqualTo(large);
			assertThat(inRedis("fp-large")).isFalse();
		}
	}

	@Test
	void redisDownMakesLookupsMissesAndStoresHarmlessThenItWorksAgain() {
		try (Replica replica = new Replica(); Replica other = new Replica()) {
			// Connected before the outage, as a running replica is.
			assertThat(replica.find("fp-warmup")).isNull();
			REDIS.pause();
			try {
				assertThat(replica.find("fp-down")).isNull();
				assertThat(replica.count("lookup", "error")).isEqualTo(1);

				assertThatCode(() -> replica.cache.put("fp-down", IMAGE, MediaType.IMAGE_PNG, 9))
					.doesNotThrowAnyException();
				// The local tier still serves what this replica stored.
				assertThat(replica.find("fp-down")).isNotNull();
				await().atMost(Duration.ofSeconds(10)).until(() -> replica.count("store", "error") == 1);
				// A replica that never reached Redis misses too, and does not hang.
				assertThat(other.find("fp-down")).isNull();
			}
			finally {
				REDIS.resume();
			}
			await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).ignoreExceptions().until(() -> {
				replica.cache.put("fp-back", IMAGE, MediaType.IMAGE_PNG, 10);
				return inRedis("fp-back");
			});
			try (Replica fresh = new Replica()) {
				assertThat(fresh.find("fp-back")).isNotNull();
			}
		}
	}

}

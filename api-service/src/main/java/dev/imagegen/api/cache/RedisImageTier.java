package dev.imagegen.api.cache;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import io.lettuce.core.ScriptOutputType;
import reactor.core.publisher.Mono;

import dev.imagegen.api.redis.LazyRedisConnection;
import dev.imagegen.api.redis.RedisProperties;
import org.springframework.http.MediaType;

/**
 * The shared image tier on Redis, as docs/architecture.md ("Scale-out on Redis") fixes it: one hash per image
 * under {@code P:img:{fingerprint}} with the fields {@code image} (the bytes), {@code contentType}, {@code seed}
 * and {@code storedAt} (epoch ms), expiring {@code IMAGE_CACHE_TTL} after it was stored. Only reads and writes:
 * what a failure means is {@link TieredImageCache}'s business.
 */
final class RedisImageTier {

	/** {@code HSET} and {@code PEXPIRE} in one script, so that no entry can exist without its expiry. */
	static final String STORE = """
			redis.call('HSET', KEYS[1], 'image', ARGV[1], 'contentType', ARGV[2], 'seed', ARGV[3], 'storedAt', ARGV[4])
			redis.call('PEXPIRE', KEYS[1], ARGV[5])
			return 1
			""";

	private final LazyRedisConnection redis;

	private final RedisProperties keys;

	private final Duration ttl;

	RedisImageTier(LazyRedisConnection redis, RedisProperties keys, Duration ttl) {
		this.redis = redis;
		this.keys = keys;
		this.ttl = ttl;
	}

	/**
	 * @param fingerprint the cache key
	 * @return the entry, empty when there is none (or it is not one this service wrote); an error when Redis
	 * failed
	 */
	Mono<Entry> find(String fingerprint) {
		return this.redis.run((commands) -> commands.hgetall(key(fingerprint))).flatMap((hash) -> {
			Map<String, byte[]> fields = new HashMap<>();
			hash.forEach((field, value) -> fields.put(new String(field, StandardCharsets.UTF_8), value));
			return Mono.justOrEmpty(Entry.of(fields));
		});
	}

	/**
	 * @param fingerprint the cache key
	 * @param entry what to store
	 * @return completes when stored; an error when Redis failed
	 */
	Mono<Void> store(String fingerprint, Entry entry) {
		byte[][] keys = { key(fingerprint) };
		return this.redis
			.run((commands) -> commands.<Long>eval(STORE, ScriptOutputType.INTEGER, keys, entry.image(),
					utf8(entry.contentType().toString()), utf8(Long.toString(entry.seed())),
					utf8(Long.toString(entry.storedAtMillis())), utf8(Long.toString(this.ttl.toMillis()))))
			.then();
	}

	/** @return the Redis key of a fingerprint, {@code P:img:{fingerprint}} */
	byte[] key(String fingerprint) {
		return utf8(this.keys.key("img", fingerprint));
	}

	private static byte[] utf8(String text) {
		return text.getBytes(StandardCharsets.UTF_8);
	}

	/**
	 * One shared entry.
	 *
	 * @param image the bytes
	 * @param contentType what they are
	 * @param seed the seed actually used
	 * @param storedAtMillis when it was first stored, epoch ms (the {@code Age} on every replica)
	 */
	record Entry(byte[] image, MediaType contentType, long seed, long storedAtMillis) {

		/** @return the entry of a hash's fields, or {@code null} when a field is missing or malformed */
		static Entry of(Map<String, byte[]> fields) {
			byte[] image = fields.get("image");
			byte[] contentType = fields.get("contentType");
			byte[] seed = fields.get("seed");
			byte[] storedAt = fields.get("storedAt");
			if (image == null || contentType == null || seed == null || storedAt == null) {
				return null;
			}
			try {
				return new Entry(image, MediaType.parseMediaType(new String(contentType, StandardCharsets.UTF_8)),
						Long.parseLong(new String(seed, StandardCharsets.UTF_8)),
						Long.parseLong(new String(storedAt, StandardCharsets.UTF_8)));
			}
			catch (IllegalArgumentException malformed) {
				// Not an entry this service wrote (a shared Redis, another version): a miss, not an error.
				return null;
			}
		}

	}

}

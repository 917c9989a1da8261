package dev.imagegen.api.openai;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.lettuce.core.ScriptOutputType;
import reactor.core.publisher.Mono;

import dev.imagegen.api.cache.StoredImage;
import dev.imagegen.api.redis.LazyRedisConnection;
import dev.imagegen.api.redis.RedisProperties;
import org.springframework.http.MediaType;

/**
 * The shared tier of the images behind {@code response_format=url}, as docs/architecture.md ("Scale-out on
 * Redis") fixes it: one hash per URL under {@code P:url:{name}} with the fields {@code image} (the bytes),
 * {@code contentType}, {@code seed}, {@code fingerprint} and {@code filename} (what {@code GET /v1/images/{name}}
 * sends), expiring {@link UrlImageStore#LIFETIME} after it was stored. Only reads and writes: what a failure
 * means is {@link SharedUrlImages}'s business.
 */
final class RedisUrlImageTier {

	/** {@code HSET} and {@code PEXPIRE} in one script, so that no entry can exist without its expiry. */
	static final String STORE = """
			redis.call('HSET', KEYS[1], 'image', ARGV[1], 'contentType', ARGV[2], 'seed', ARGV[3], 'fingerprint', ARGV[4], 'filename', ARGV[5])
			redis.call('PEXPIRE', KEYS[1], ARGV[6])
			return 1
			""";

	/**
	 * The hash and the time it has left, read at once: the time comes from Redis, so replicas need not agree on
	 * the clock for a URL to end at the same moment on all of them.
	 */
	static final String FIND = """
			local ttl = redis.call('PTTL', KEYS[1])
			if ttl <= 0 then
				return {}
			end
			local hash = redis.call('HGETALL', KEYS[1])
			table.insert(hash, 'ttl')
			table.insert(hash, tostring(ttl))
			return hash
			""";

	private final LazyRedisConnection redis;

	private final RedisProperties keys;

	RedisUrlImageTier(LazyRedisConnection redis, RedisProperties keys) {
		this.redis = redis;
		this.keys = keys;
	}

	/**
	 * @param name the URL's name
	 * @param image what it serves
	 * @return completes when stored; an error when Redis failed
	 */
	Mono<Void> store(String name, UrlImage image) {
		byte[][] keys = { key(name) };
		StoredImage stored = image.image();
		return this.redis
			.run((commands) -> commands.<Long>eval(STORE, ScriptOutputType.INTEGER, keys, stored.bytes(),
					utf8(stored.mediaType().toString()), utf8(Long.toString(stored.seed())), utf8(image.fingerprint()),
					utf8(image.filename()), utf8(Long.toString(UrlImageStore.LIFETIME.toMillis()))))
			.then();
	}

	/**
	 * @param name the URL's name
	 * @return the entry, empty when there is none (or it is not one this service wrote); an error when Redis
	 * failed
	 */
	Mono<Entry> find(String name) {
		byte[][] keys = { key(name) };
		return this.redis.run((commands) -> commands.<List<Object>>eval(FIND, ScriptOutputType.MULTI, keys))
			.flatMap((reply) -> {
				Map<String, byte[]> fields = new HashMap<>();
				for (int i = 0; i + 1 < reply.size(); i += 2) {
					if (reply.get(i) instanceof byte[] field && reply.get(i + 1) instanceof byte[] value) {
						fields.put(new String(field, StandardCharsets.UTF_8), value);
					}
				}
				return Mono.justOrEmpty(Entry.of(fields));
			});
	}

	/** @return the Redis key of a name, {@code P:url:{name}} */
	byte[] key(String name) {
		return utf8(this.keys.key("url", name));
	}

	private static byte[] utf8(String text) {
		return text.getBytes(StandardCharsets.UTF_8);
	}

	private static String text(byte[] bytes) {
		return new String(bytes, StandardCharsets.UTF_8);
	}

	/**
	 * One shared entry.
	 *
	 * @param image what the URL serves
	 * @param remaining how long Redis still keeps it
	 */
	record Entry(UrlImage image, Duration remaining) {

		/** @return the entry of a hash's fields, or {@code null} when a field is missing or malformed */
		static Entry of(Map<String, byte[]> fields) {
			byte[] image = fields.get("image");
			byte[] contentType = fields.get("contentType");
			byte[] seed = fields.get("seed");
			byte[] fingerprint = fields.get("fingerprint");
			byte[] filename = fields.get("filename");
			byte[] ttl = fields.get("ttl");
			if (image == null || contentType == null || seed == null || fingerprint == null || filename == null
					|| ttl == null) {
				return null;
			}
			try {
				StoredImage stored = new StoredImage(image, MediaType.parseMediaType(text(contentType)),
						Long.parseLong(text(seed)), 0);
				return new Entry(new UrlImage(stored, text(fingerprint), text(filename)),
						Duration.ofMillis(Long.parseLong(text(ttl))));
			}
			catch (IllegalArgumentException malformed) {
				// Not an entry this service wrote (a shared Redis, another version): a miss, not an error.
				return null;
			}
		}

	}

}

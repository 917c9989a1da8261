package dev.imagegen.api.cache;

import java.time.Duration;
import java.util.function.LongSupplier;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.buffer.ByteBuf;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

import dev.imagegen.api.redis.RedisFailureLog;
import org.springframework.http.MediaType;
import org.springframework.util.unit.DataSize;

/**
 * The image cache of the Redis mode: this replica's {@link LocalImageCache} in front of the shared
 * {@link RedisImageTier}, so an image generated through any replica is a hit on all of them
 * (docs/architecture.md, "Scale-out on Redis").
 * <p>
 * A lookup asks the local tier, then Redis; a Redis hit fills the local tier with the entry's original
 * {@code storedAt}, so {@code Age} and the end of its life are the same on every replica. A store writes both:
 * the local tier at once, Redis in the background. The shared tier is an optimisation, never a dependency: a
 * Redis that fails or is slow makes a lookup a miss (the image is generated) and a store a logged, counted
 * no-op; neither fails a request.
 */
final class TieredImageCache implements ImageCache {

	/** Larger images stay local: one value that size would make every other replica's lookup slow. */
	static final DataSize MAX_SHARED = DataSize.ofMegabytes(8);

	private final LocalImageCache local;

	private final RedisImageTier shared;

	private final LongSupplier wallClock;

	private final Meter.MeterProvider<Counter> counter;

	private final RedisFailureLog failures = new RedisFailureLog(LoggerFactory.getLogger(TieredImageCache.class));

	/**
	 * @param local this replica's tier
	 * @param shared the Redis tier
	 * @param wallClock epoch milliseconds ({@code storedAt} must mean the same on every replica)
	 * @param meters where {@code imagegen.cache.shared} is counted
	 */
	TieredImageCache(LocalImageCache local, RedisImageTier shared, LongSupplier wallClock, MeterRegistry meters) {
		this.local = local;
		this.shared = shared;
		this.wallClock = wallClock;
		this.counter = Counter.builder("imagegen.cache.shared")
			.description("Lookups in and stores to the shared (Redis) image cache tier, by outcome")
			.withRegistry(meters);
	}

	@Override
	public Mono<StoredImage> find(String key) {
		return Mono.defer(() -> {
			StoredImage held = this.local.get(key).orElse(null);
			if (held != null) {
				return Mono.just(held);
			}
			return this.shared.find(key)
				.map((entry) -> this.local.restore(key, entry.image(), entry.contentType(), entry.seed(),
						Duration.ofMillis(Math.max(0, this.wallClock.getAsLong() - entry.storedAtMillis()))))
				.doOnSuccess((image) -> count("lookup", (image != null) ? "hit" : "miss"))
				.onErrorResume((failure) -> {
					count("lookup", "error");
					this.failures.failed("shared image cache lookup", failure);
					return Mono.empty();
				})
				// Off Lettuce's I/O thread: answering the request must not hold up other replies from Redis.
				.publishOn(Schedulers.parallel());
		});
	}

	@Override
	public StoredImage put(String key, ByteBuf content, MediaType mediaType, long seed) {
		StoredImage image = this.local.put(key, content, mediaType, seed);
		if (image.size() > MAX_SHARED.toBytes()) {
			count("store", "too-large");
			return image;
		}
		// The caller's reference, still unreleased: the array itself when on the heap (the Redis mode's images are).
		byte[] bytes = image.bytes();
		RedisImageTier.Entry entry = new RedisImageTier.Entry(bytes, mediaType, seed, this.wallClock.getAsLong());
		// In the background: the caller has its image, and a Redis that is down must not delay or fail it.
		this.shared.store(key, entry).subscribe(null, (failure) -> {
			count("store", "error");
			this.failures.failed("shared image cache store", failure);
		}, () -> count("store", "stored"));
		return image;
	}

	@Override
	public Duration age(StoredImage image) {
		return this.local.age(image);
	}

	/** @return this replica's tier (tests: a replica that starts empty) */
	LocalImageCache local() {
		return this.local;
	}

	private void count(String operation, String result) {
		this.counter.withTags("operation", operation, "result", result).increment();
	}

}

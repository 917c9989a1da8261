package dev.imagegen.api.cache;

import java.time.Duration;
import java.util.Optional;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.cache.CaffeineCacheMetrics;

import org.springframework.http.MediaType;

/**
 * The in-memory {@link ImageCache}: Caffeine bounded by bytes (a weigher of image size plus overhead), entries
 * expiring a fixed time after they were written. {@code IMAGE_CACHE_SIZE=0} turns it off: nothing is held,
 * every lookup misses.
 */
final class LocalImageCache implements ImageCache {

	/** Key, record, headers: what an entry costs beyond its bytes, so that tiny images cannot flood the count. */
	static final int ENTRY_OVERHEAD = 256;

	private final Cache<String, StoredImage> cache;

	private final Ticker ticker;

	LocalImageCache(CacheProperties properties, Ticker ticker, MeterRegistry meters) {
		this.ticker = ticker;
		long maxBytes = properties.size().toBytes();
		if (maxBytes == 0) {
			this.cache = null;
			return;
		}
		this.cache = Caffeine.newBuilder()
			.maximumWeight(maxBytes)
			.weigher((String key, StoredImage image) -> (int) Math.min(Integer.MAX_VALUE,
					(long) image.size() + ENTRY_OVERHEAD))
			.expireAfterWrite(properties.ttl())
			.ticker(ticker)
			.recordStats()
			.build();
		CaffeineCacheMetrics.monitor(meters, this.cache, "images");
		Gauge.builder("imagegen.cache.bytes", this, LocalImageCache::weightedSize)
			.description("Bytes of images held by the image cache (image sizes plus a small overhead per entry)")
			.baseUnit("bytes")
			.register(meters);
	}

	@Override
	public Optional<StoredImage> get(String key) {
		return (this.cache != null) ? Optional.ofNullable(this.cache.getIfPresent(key)) : Optional.empty();
	}

	@Override
	public StoredImage put(String key, byte[] bytes, MediaType mediaType, long seed) {
		StoredImage image = new StoredImage(bytes, mediaType, seed, this.ticker.read());
		if (this.cache != null) {
			this.cache.put(key, image);
		}
		return image;
	}

	@Override
	public Duration age(StoredImage image) {
		return Duration.ofNanos(Math.max(0, this.ticker.read() - image.storedAtNanos()));
	}

	/** @return the weighed bytes held now */
	long weightedSize() {
		if (this.cache == null) {
			return 0;
		}
		this.cache.cleanUp();
		return this.cache.policy().eviction().map((eviction) -> eviction.weightedSize().orElse(0)).orElse(0L);
	}

}

package dev.imagegen.api.openai;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import java.util.regex.Pattern;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.Ticker;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import dev.imagegen.api.generate.ImageGenerator;

/**
 * The images behind {@code response_format=url}: kept for {@link #LIFETIME} after they were stored, in a store of
 * their own rather than the image cache, which may be turned off ({@code IMAGE_CACHE_SIZE=0}) or evict a URL's
 * image long before its hour is up. Bounded by bytes ({@code OPENAI_IMAGE_STORE_SIZE}); an image pushed out by
 * that bound before its hour is counted, so an operator sees when the store is too small.
 */
final class UrlImageStore {

	/** How long a URL serves its image: the contract promises at least one hour. */
	static final Duration LIFETIME = Duration.ofHours(1);

	/** 128 random bits, URL-safe Base64 without padding. */
	private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{22}");

	/** Bytes an entry costs besides its image (key, record, Caffeine's node), so tiny images still count. */
	private static final int ENTRY_OVERHEAD = 256;

	private final SecureRandom random = new SecureRandom();

	private final Cache<String, ImageGenerator.Generated> images;

	UrlImageStore(OpenAiProperties properties, Ticker ticker, MeterRegistry meters) {
		Counter evicted = Counter.builder("imagegen.openai.images.evicted")
			.description("URL images dropped before their hour was up because OPENAI_IMAGE_STORE_SIZE was reached")
			.register(meters);
		this.images = Caffeine.newBuilder()
			.maximumWeight(properties.imageStoreSize().toBytes())
			.weigher((String name, ImageGenerator.Generated image) -> (int) Math.min(Integer.MAX_VALUE,
					(long) image.image().bytes().length + ENTRY_OVERHEAD))
			.expireAfterWrite(LIFETIME)
			.ticker(ticker)
			.removalListener((String name, ImageGenerator.Generated image, RemovalCause cause) -> {
				if (cause == RemovalCause.SIZE) {
					evicted.increment();
				}
			})
			.build();
		Gauge.builder("imagegen.openai.images.bytes", this, UrlImageStore::weightedSize)
			.description("Bytes of images held for response_format=url (image sizes plus a small overhead per entry)")
			.baseUnit("bytes")
			.register(meters);
	}

	/**
	 * Keeps an image under a new unguessable name: nothing about the prompt or the parameters can be read from it
	 * or used to find another caller's image.
	 * @param image the generated image
	 * @return its name, 22 URL-safe characters
	 */
	String put(ImageGenerator.Generated image) {
		byte[] bits = new byte[16];
		this.random.nextBytes(bits);
		String name = Base64.getUrlEncoder().withoutPadding().encodeToString(bits);
		this.images.put(name, image);
		return name;
	}

	/**
	 * @param name a name from {@link #put}, possibly not one at all
	 * @return the image while it is kept
	 */
	Optional<ImageGenerator.Generated> get(String name) {
		if (!NAME.matcher(name).matches()) {
			return Optional.empty();
		}
		return Optional.ofNullable(this.images.getIfPresent(name));
	}

	private long weightedSize() {
		this.images.cleanUp();
		return this.images.policy().eviction().map((eviction) -> eviction.weightedSize().orElse(0)).orElse(0L);
	}

}

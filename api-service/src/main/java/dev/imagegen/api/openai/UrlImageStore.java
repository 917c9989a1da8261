package dev.imagegen.api.openai;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import java.util.regex.Pattern;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.Ticker;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import reactor.core.publisher.Mono;

import dev.imagegen.api.cache.ImageMemory;
import dev.imagegen.api.cache.StoredImage;
import dev.imagegen.api.generate.ImageGenerator;
import dev.imagegen.api.problem.ApiProblem;
import dev.imagegen.api.problem.ProblemTypes;

/**
 * The images behind {@code response_format=url}: kept for {@link #LIFETIME} after they were stored, in a store of
 * their own rather than the image cache, which may be turned off ({@code IMAGE_CACHE_SIZE=0}) or evict a URL's
 * image long before its hour is up. Bounded by bytes ({@code OPENAI_IMAGE_STORE_SIZE}); an image pushed out by
 * that bound before its hour is counted, so an operator sees when the store is too small.
 * <p>
 * On one box it is all there is; in the Redis mode it is this replica's tier in front of the shared one
 * ({@link SharedUrlImages}), which {@link #restore}s an image it read with the time it has left.
 */
final class UrlImageStore implements UrlImages {

	/** How long a URL serves its image: the contract promises at least one hour. */
	static final Duration LIFETIME = Duration.ofHours(1);

	/** 128 random bits, URL-safe Base64 without padding. */
	private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{22}");

	/** Bytes an entry costs besides its image (key, record, Caffeine's node), so tiny images still count. */
	private static final int ENTRY_OVERHEAD = 256;

	/** What a call refused for want of image memory asks the client to wait: held images expire or are evicted. */
	private static final Duration OUT_OF_MEMORY_RETRY_AFTER = Duration.ofSeconds(30);

	private final SecureRandom random = new SecureRandom();

	private final Cache<String, UrlImage> images;

	private final ImageMemory memory;

	UrlImageStore(OpenAiProperties properties, Ticker ticker, MeterRegistry meters, ImageMemory memory) {
		this.memory = memory;
		Counter evicted = Counter.builder("imagegen.openai.images.evicted")
			.description("URL images dropped before their hour was up because OPENAI_IMAGE_STORE_SIZE was reached")
			.register(meters);
		this.images = Caffeine.newBuilder()
			.maximumWeight(properties.imageStoreSize().toBytes())
			.weigher((String name, UrlImage image) -> (int) Math.min(Integer.MAX_VALUE,
					(long) image.image().size() + ENTRY_OVERHEAD))
			.expireAfter(new OneHour())
			.ticker(ticker)
			// On the removing thread: the store's reference is released as the image leaves, so its direct
			// memory is freed once no answer still reads it (see StoredImage).
			.executor(Runnable::run)
			.removalListener((String name, UrlImage image, RemovalCause cause) -> {
				image.image().release();
				if (cause == RemovalCause.SIZE) {
					evicted.increment();
				}
			})
			.build();
		Gauge.builder("imagegen.openai.images.bytes", this, UrlImageStore::weightedSize)
			.description("Bytes of images held for response_format=url (image sizes plus a small overhead per entry)")
			.baseUnit("bytes")
			.register(meters);
		memory.register(() -> this.images.policy()
			.eviction()
			.map((eviction) -> eviction.weightedSize().orElse(0))
			.orElse(0L));
	}

	/**
	 * A new unguessable name: nothing about the prompt or the parameters can be read from it or used to find
	 * another caller's image.
	 * @return 22 URL-safe characters
	 */
	String newName() {
		byte[] bits = new byte[16];
		this.random.nextBytes(bits);
		return Base64.getUrlEncoder().withoutPadding().encodeToString(bits);
	}

	/**
	 * Keeps an image for {@link #LIFETIME} under a new name.
	 * @param image the generated image
	 * @return its name
	 */
	String put(ImageGenerator.Generated image) {
		String name = newName();
		put(name, UrlImage.of(image));
		return name;
	}

	/**
	 * Keeps an image for {@link #LIFETIME} under a name from {@link #newName()}.
	 * @param name its name
	 * @param image what its URL serves
	 */
	void put(String name, UrlImage image) {
		this.images.put(name, offHeap(image));
	}

	/**
	 * The image held in direct memory, as the image cache holds its own (see {@link StoredImage}): the store's
	 * bound (256 MB by default) is larger than the API's heap. An image already in the cache is not copied again.
	 * It is counted in the budget all kept images share ({@link ImageMemory}), where the cache gives way to it;
	 * should the URLs and retained jobs have taken that budget, the URL cannot be kept, and the call fails with a
	 * typed 503 rather than filling the heap or starving the API's network buffers.
	 */
	private UrlImage offHeap(UrlImage image) {
		try {
			return new UrlImage(this.memory.keep(image.image()), image.fingerprint(), image.filename());
		}
		catch (ImageMemory.NoImageMemory ex) {
			throw ApiProblem.of(ProblemTypes.INTERNAL_ERROR, 503, "No memory for the image",
					"The API has no memory left to keep this image for its URL (-XX:MaxDirectMemorySize); "
							+ "try again later, or ask for response_format=b64_json.")
				.withRetryAfter(OUT_OF_MEMORY_RETRY_AFTER);
		}
	}

	/**
	 * Keeps an image read from the shared tier for the time it has left there, so that it ends on this replica
	 * when it ends on all of them.
	 * @param name its name
	 * @param image what its URL serves
	 * @param remaining how long it is still kept in the shared tier
	 * @return the image as given (the store's reference never leaves it)
	 */
	UrlImage restore(String name, UrlImage image, Duration remaining) {
		this.images.policy().expireVariably().orElseThrow().put(name, offHeap(image), remaining);
		return image;
	}

	/**
	 * @param name a name from {@link #put}, possibly not one at all
	 * @return the image while it is kept, as a reference of the caller's own ({@link StoredImage#share()}), which
	 * it releases when done
	 */
	Optional<UrlImage> get(String name) {
		if (!isName(name)) {
			return Optional.empty();
		}
		UrlImage held = this.images.getIfPresent(name);
		StoredImage mine = (held != null) ? held.image().share() : null;
		// null: removed and freed between the lookup and the share, so no longer kept.
		return (mine != null) ? Optional.of(new UrlImage(mine, held.fingerprint(), held.filename())) : Optional.empty();
	}

	/**
	 * @param name anything from a URL
	 * @return whether it can be a name from {@link #newName()} (anything else is never looked up anywhere)
	 */
	static boolean isName(String name) {
		return NAME.matcher(name).matches();
	}

	@Override
	public Mono<String> keep(ImageGenerator.Generated image) {
		return Mono.fromSupplier(() -> put(image));
	}

	@Override
	public Mono<UrlImage> find(String name) {
		return Mono.defer(() -> Mono.justOrEmpty(get(name)));
	}

	private long weightedSize() {
		this.images.cleanUp();
		return this.images.policy().eviction().map((eviction) -> eviction.weightedSize().orElse(0)).orElse(0L);
	}

	/**
	 * Every entry lives {@link #LIFETIME} from when it was put; a {@link #restore}d one the time it was given.
	 * Reading does not extend it: the hour counts from the answer, not from the last fetch.
	 */
	private static final class OneHour implements Expiry<String, UrlImage> {

		@Override
		public long expireAfterCreate(String name, UrlImage image, long currentTime) {
			return LIFETIME.toNanos();
		}

		@Override
		public long expireAfterUpdate(String name, UrlImage image, long currentTime, long currentDuration) {
			return LIFETIME.toNanos();
		}

		@Override
		public long expireAfterRead(String name, UrlImage image, long currentTime, long currentDuration) {
			return currentDuration;
		}

	}

}

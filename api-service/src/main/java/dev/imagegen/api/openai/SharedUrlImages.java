package dev.imagegen.api.openai;

import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

import dev.imagegen.api.generate.ImageGenerator;
import dev.imagegen.api.redis.RedisFailureLog;
import dev.imagegen.api.redis.RedisUnavailable;

/**
 * The images behind {@code response_format=url} in the Redis mode: this replica's {@link UrlImageStore} in front of
 * the shared {@link RedisUrlImageTier}, so that a URL handed out by any replica is served by all of them
 * (docs/architecture.md, "Scale-out on Redis").
 * <p>
 * Unlike the image cache, the shared tier is part of the promise, not an optimisation: a URL is handed out only
 * once Redis holds its image (the caller may fetch it through another replica at once), and a replica that does
 * not hold a name must ask Redis before it may say {@code 404}. So a Redis failure on either path is the Redis
 * mode's {@code 503 queue-unavailable} ({@link RedisUnavailable}), never a URL that breaks or a wrong
 * {@code 404}. A Redis hit is kept locally for the time it has left there.
 */
final class SharedUrlImages implements UrlImages {

	private final UrlImageStore local;

	private final RedisUrlImageTier shared;

	private final RedisFailureLog failures = new RedisFailureLog(LoggerFactory.getLogger(SharedUrlImages.class));

	SharedUrlImages(UrlImageStore local, RedisUrlImageTier shared) {
		this.local = local;
		this.shared = shared;
	}

	@Override
	public Mono<String> keep(ImageGenerator.Generated generated) {
		return Mono.defer(() -> {
			String name = this.local.newName();
			UrlImage image = UrlImage.of(generated);
			// Locally only once Redis has it: a name that failed is never handed out and should not take room.
			return guarded("URL image store", this.shared.store(name, image))
				.then(Mono.fromSupplier(() -> {
					this.local.put(name, image);
					return name;
				}));
		});
	}

	@Override
	public Mono<UrlImage> find(String name) {
		return Mono.defer(() -> {
			if (!UrlImageStore.isName(name)) {
				return Mono.empty();
			}
			UrlImage held = this.local.get(name).orElse(null);
			if (held != null) {
				return Mono.just(held);
			}
			return guarded("URL image lookup", this.shared.find(name))
				.map((entry) -> this.local.restore(name, entry.image(), entry.remaining()));
		});
	}

	/**
	 * Bounded by the command timeout (in {@code LazyRedisConnection}); any failure becomes
	 * {@code 503 queue-unavailable}. Continued off Lettuce's I/O thread, so that answering never holds up Redis
	 * replies.
	 */
	private <T> Mono<T> guarded(String what, Mono<T> call) {
		return call.onErrorMap((failure) -> {
			this.failures.failed(what, failure);
			return RedisUnavailable.problem();
		}).publishOn(Schedulers.parallel());
	}

}

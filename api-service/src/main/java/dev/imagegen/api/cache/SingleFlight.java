package dev.imagegen.api.cache;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Supplier;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import reactor.core.publisher.Mono;

/**
 * Identical requests that arrive while one of them is being generated share that one generation: one worker
 * call, and every caller gets the same bytes or the same problem.
 * <p>
 * The shared work runs as a future of its own, not as a subscription of the first caller: a caller that gives
 * up (an {@code <img>} scrolled away) cancels only its own wait, never the generation the others wait for, and
 * the result still reaches the cache. The entry leaves the map when the work ends, so a failure is not
 * remembered: the next request tries again.
 */
public final class SingleFlight {

	private final ConcurrentMap<String, CompletableFuture<?>> inFlight = new ConcurrentHashMap<>();

	private final Counter joins;

	SingleFlight(MeterRegistry meters) {
		this.joins = Counter.builder("imagegen.singleflight.joins")
			.description("Requests that joined a generation already in flight instead of starting their own")
			.register(meters);
	}

	/**
	 * Runs the work for a key, or joins the run already in flight for it.
	 * @param <T> the result type
	 * @param key what makes two requests identical
	 * @param work starts the work when subscribed; called at most once per run
	 * @return the shared outcome
	 */
	@SuppressWarnings("unchecked")
	public <T> Mono<T> share(String key, Supplier<Mono<T>> work) {
		return Mono.deferContextual((context) -> {
			boolean[] started = { false };
			CompletableFuture<T> future = (CompletableFuture<T>) this.inFlight.computeIfAbsent(key, (k) -> {
				started[0] = true;
				return new CompletableFuture<T>();
			});
			if (started[0]) {
				// The work runs detached from its starter (it outlives a starter that leaves), but in the starter's
				// context: its worker call continues the starter's trace.
				Mono.defer(work).contextWrite(context).toFuture().whenComplete((value, failure) -> {
					this.inFlight.remove(key, future);
					if (failure != null) {
						future.completeExceptionally(failure);
					}
					else {
						future.complete(value);
					}
				});
			}
			else {
				this.joins.increment();
			}
			// suppressCancel: one caller leaving must not cancel the future the others share.
			return Mono.fromFuture(future, true);
		});
	}

	/**
	 * Joins the run in flight for a key, if there is one; starts nothing.
	 * @param <T> the result type
	 * @param key what makes two requests identical
	 * @return the shared outcome, or empty when nothing runs for the key
	 */
	@SuppressWarnings("unchecked")
	public <T> Optional<Mono<T>> join(String key) {
		CompletableFuture<T> future = (CompletableFuture<T>) this.inFlight.get(key);
		if (future == null) {
			return Optional.empty();
		}
		this.joins.increment();
		return Optional.of(Mono.fromFuture(future, true));
	}

	/** @return runs in flight now */
	int inFlight() {
		return this.inFlight.size();
	}

}

package dev.imagegen.api.cache;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import reactor.core.publisher.Mono;

/**
 * Identical requests that arrive while one of them is being generated share that one generation: one worker
 * call, and every caller gets the same image or the same problem.
 * <p>
 * The shared work runs as a future of its own, not as a subscription of the first caller: a caller that gives
 * up (an {@code <img>} scrolled away) cancels only its own wait, never the generation the others wait for, and
 * the result still reaches the cache. The entry leaves the map when the work ends, so a failure is not
 * remembered: the next request tries again.
 * <p>
 * An image off-heap is a counted reference ({@link StoredImage}), and each caller releases its own once answered.
 * So the run's image is the flight's reference, every caller gets a reference of its own ({@link StoredImage#share()}),
 * and the flight releases its reference when the last of its callers has taken theirs or left. Callers register
 * while the entry is in the map, and it leaves the map before the image is handed out, so none can come too late.
 */
public final class SingleFlight {

	private final ConcurrentMap<String, Flight> inFlight = new ConcurrentHashMap<>();

	private final Counter joins;

	SingleFlight(MeterRegistry meters) {
		this.joins = Counter.builder("imagegen.singleflight.joins")
			.description("Requests that joined a generation already in flight instead of starting their own")
			.register(meters);
	}

	/**
	 * Runs the work for a key, or joins the run already in flight for it.
	 * @param key what makes two requests identical
	 * @param work starts the work when subscribed; called at most once per run
	 * @return the shared outcome: an image of the subscriber's own (a reference it releases); subscribe once
	 */
	public Mono<StoredImage> share(String key, Supplier<Mono<StoredImage>> work) {
		return Mono.deferContextual((context) -> {
			boolean[] started = { false };
			Flight flight = this.inFlight.compute(key, (k, running) -> {
				Flight registered = (running != null) ? running : new Flight();
				started[0] = (running == null);
				registered.register();
				return registered;
			});
			if (started[0]) {
				// The work runs detached from its starter (it outlives a starter that leaves), but in the starter's
				// context: its worker call continues the starter's trace.
				Mono.defer(work).contextWrite(context).toFuture().whenComplete((value, failure) -> {
					this.inFlight.remove(key, flight);
					flight.settle(value, failure);
				});
			}
			else {
				this.joins.increment();
			}
			return flight.waiter();
		});
	}

	/**
	 * Joins the run in flight for a key, if there is one; starts nothing. The caller must subscribe to the answer,
	 * once (it is counted as one caller; unsubscribed, it leaves the run's image to the collector to free).
	 * @param key what makes two requests identical
	 * @return the shared outcome (an image of the subscriber's own), or empty when nothing runs for the key
	 */
	public Optional<Mono<StoredImage>> join(String key) {
		Flight flight = this.inFlight.computeIfPresent(key, (k, running) -> {
			running.register();
			return running;
		});
		if (flight == null) {
			return Optional.empty();
		}
		this.joins.increment();
		return Optional.of(flight.waiter());
	}

	/** @return runs in flight now */
	int inFlight() {
		return this.inFlight.size();
	}

	/** One run and the callers waiting for it. */
	private static final class Flight {

		private final CompletableFuture<StoredImage> outcome = new CompletableFuture<>();

		/** Callers registered and not yet served or gone. */
		private int waiters;

		/** Set once the run ended, with the run's image (or {@code null}). */
		private boolean settled;

		private StoredImage image;

		/** Counts a caller in; only while the flight is in the map (under its lock), so never after it settled. */
		synchronized void register() {
			this.waiters++;
		}

		void settle(StoredImage value, Throwable failure) {
			synchronized (this) {
				this.settled = true;
				this.image = value;
			}
			if (failure != null) {
				this.outcome.completeExceptionally(failure);
			}
			else {
				this.outcome.complete(value);
			}
			releaseIfUnwanted();
		}

		/** One registered caller's wait: served a reference of its own, then counted out whatever happens. */
		Mono<StoredImage> waiter() {
			AtomicBoolean gone = new AtomicBoolean();
			// suppressCancel: one caller leaving must not cancel the future the others share.
			return Mono.fromFuture(this.outcome, true).map((value) -> {
				StoredImage mine = value.share();
				if (mine == null) {
					// Cannot happen while this caller is counted; said loudly should it ever.
					throw new IllegalStateException("A shared image was released before its callers took it");
				}
				return mine;
			}).doFinally((signal) -> {
				if (gone.compareAndSet(false, true)) {
					leave();
				}
			});
		}

		private void leave() {
			synchronized (this) {
				this.waiters--;
			}
			releaseIfUnwanted();
		}

		private void releaseIfUnwanted() {
			StoredImage unwanted = null;
			synchronized (this) {
				if (this.settled && this.waiters == 0 && this.image != null) {
					unwanted = this.image;
					this.image = null;
				}
			}
			if (unwanted != null) {
				unwanted.release();
			}
		}

	}

}

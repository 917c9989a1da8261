package dev.imagegen.api.generate;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import java.util.function.Supplier;

import reactor.core.publisher.Mono;

import dev.imagegen.api.cache.ImageCache;
import dev.imagegen.api.cache.SingleFlight;
import dev.imagegen.api.cache.StoredImage;
import dev.imagegen.api.clients.ClientIdentity;
import dev.imagegen.api.clients.GenerationGate;
import dev.imagegen.api.worker.ProgressListener;
import dev.imagegen.api.worker.WorkerDispatch;
import dev.imagegen.api.worker.WorkerRequest;
import org.springframework.stereotype.Service;

/**
 * The one generation path behind every front door ({@code /generate}, jobs, the OpenAI-compatible API): a
 * fixed-seed request is answered from the image cache or joins a generation already in flight; otherwise the
 * seed is chosen, a worker is called within the client's limits, and the image is stored under the seed used.
 * HTTP concerns (ETags, headers, bodies) stay with the callers.
 */
@Service
public class ImageGenerator {

	private final WorkerDispatch workers;

	private final GenerationGate gate;

	private final ImageCache cache;

	private final SingleFlight singleFlight;

	ImageGenerator(WorkerDispatch workers, GenerationGate gate, ImageCache cache, SingleFlight singleFlight) {
		this.workers = workers;
		this.gate = gate;
		this.cache = cache;
		this.singleFlight = singleFlight;
	}

	/**
	 * The stored image for a fixed-seed request, without generating.
	 * @param request a validated request
	 * @return the image when the seed is fixed and it is stored; empty otherwise (never an error)
	 */
	public Mono<Generated> lookup(GenerateRequest request) {
		if (!request.seedFixed()) {
			return Mono.empty();
		}
		String fingerprint = request.fingerprint();
		return this.cache.find(fingerprint).map((image) -> new Generated(request, image, fingerprint, true,
				this.cache.age(image)));
	}

	/**
	 * Answers a request from the cache or by a generation.
	 * @param request a validated request (its seed may be random)
	 * @param call who asks and how
	 * @return the image, or an {@code ApiProblem} error (client limits, worker faults)
	 */
	public Mono<Generated> generate(GenerateRequest request, Call call) {
		if (request.seedFixed() && !call.fresh()) {
			// The lookup may ask Redis: it is awaited, never blocked on, and a miss generates.
			return lookup(request).switchIfEmpty(Mono.defer(() -> generateMiss(request, call)));
		}
		return generateMiss(request, call);
	}

	/** Generates (or joins the generation in flight) after the cache had nothing. */
	private Mono<Generated> generateMiss(GenerateRequest request, Call call) {
		String fingerprint = request.seedFixed() ? request.fingerprint() : null;
		if (!this.workers.configured()) {
			return Mono.error(this.workers.notConfigured());
		}
		GenerateRequest seeded = request.seedFixed() ? request
				: request.withSeed(ThreadLocalRandom.current().nextLong(0, GenerateRequestParser.MAX_SEED + 1));
		Mono<StoredImage> generation;
		if (fingerprint != null && !call.fresh()) {
			// Joining a generation in flight costs no generation token: only the request that starts one passes
			// the client gate, so a joiner never inherits another client's 429 either.
			// The admission wait (a job's turn) sits outside the shared future, so that cancelling a waiting job
			// really withdraws it.
			generation = this.singleFlight.join(fingerprint)
				.map((joined) -> joined.doOnSubscribe((subscription) -> admitted(call)))
				.orElseGet(() -> this.gate.admit(call.client(), () -> admitted(call).admission()
					.run(() -> this.singleFlight.share(fingerprint, () -> generateAndStore(seeded, call, fingerprint)))));
		}
		else {
			// "Cache-Control: no-cache" asks for a fresh image: no lookup, no joining; the new image replaces the entry.
			generation = this.gate.admit(call.client(),
					() -> admitted(call).admission().run(() -> generateAndStore(seeded, call, null)));
		}
		return generation.map((image) -> {
			GenerateRequest used = seeded.withSeed(image.seed());
			return new Generated(used, image, (fingerprint != null) ? fingerprint : used.fingerprint(), false,
					Duration.ZERO);
		});
	}

	/** Tells the call's listener that the client limits let the generation through. */
	private static Call admitted(Call call) {
		if (call.progress() != null) {
			call.progress().onAdmitted();
		}
		return call;
	}

	/**
	 * One generation; the image is stored under the seed the worker really used. The fingerprint (fixed seed, not
	 * fresh) lets the Redis mode share it across replicas; {@code null} shares nothing.
	 */
	private Mono<StoredImage> generateAndStore(GenerateRequest seeded, Call call, String fingerprint) {
		WorkerRequest workerRequest = new WorkerRequest(seeded.prompt(), seeded.negativePrompt(), seeded.seed(),
				seeded.guidanceScale(), seeded.shape().wireName(), seeded.format().wireName());
		return this.workers
			.generate(workerRequest, seeded.format().mediaType(), call.requestId(), call.onWorker(), call.progress(),
					fingerprint)
			.map((image) -> {
				long seed = (image.seed() != null) ? image.seed() : seeded.seed();
				// The cache takes the image's buffer over and keeps that same buffer: no copy.
				return this.cache.put(seeded.withSeed(seed).fingerprint(), image.content(), image.mediaType(), seed);
			});
	}

	/**
	 * Who asks for a generation and how.
	 *
	 * @param client the client whose limits apply, or {@code null} for none
	 * @param requestId passed to the worker as {@code X-Request-Id}
	 * @param fresh {@code true} to skip the cache lookup and single-flight ({@code Cache-Control: no-cache})
	 * @param onWorker told the URL of each worker the request is sent to
	 * @param admission when the generation may go to a worker, once the client gate admitted it
	 * ({@link Admission#NOW} for synchronous requests; a job waits for its turn)
	 * @param progress told the worker's progress events, or {@code null} to open no progress stream
	 */
	public record Call(ClientIdentity client, String requestId, boolean fresh, Consumer<String> onWorker,
			Admission admission, ProgressListener progress) {

		/**
		 * A synchronous call: sent at once, no progress stream (it would cost a request and tell nobody).
		 * @param client the client whose limits apply, or {@code null} for none
		 * @param requestId passed to the worker as {@code X-Request-Id}
		 * @param fresh {@code true} to skip the cache lookup and single-flight
		 * @param onWorker told the URL of each worker the request is sent to
		 */
		public Call(ClientIdentity client, String requestId, boolean fresh, Consumer<String> onWorker) {
			this(client, requestId, fresh, onWorker, Admission.NOW, null);
		}

	}

	/**
	 * Decides when an admitted generation is sent to a worker: jobs wait here for their turn, so that a burst of
	 * jobs queues in the API (with a position to show) instead of overflowing the workers' queues.
	 */
	@FunctionalInterface
	public interface Admission {

		/** No wait. */
		Admission NOW = Supplier::get;

		/**
		 * Runs the work when its turn comes; cancelling the result before then withdraws it.
		 * @param work starts the worker call when invoked
		 * @return the work's outcome
		 */
		Mono<StoredImage> run(Supplier<Mono<StoredImage>> work);

	}

	/**
	 * An image and how it was obtained.
	 *
	 * @param request the request with the seed actually used
	 * @param image the stored image
	 * @param fingerprint the fingerprint of {@code request} (the cache key and ETag)
	 * @param hit whether it came from the cache
	 * @param age how long it has been stored ({@link Duration#ZERO} for a fresh one)
	 */
	public record Generated(GenerateRequest request, StoredImage image, String fingerprint, boolean hit,
			Duration age) {
	}

}

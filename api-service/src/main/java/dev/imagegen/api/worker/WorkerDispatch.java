package dev.imagegen.api.worker;

import java.util.function.Consumer;

import reactor.core.publisher.Mono;

import dev.imagegen.api.problem.ApiProblem;
import org.springframework.http.MediaType;

/**
 * How a generation reaches a worker: over HTTP to {@code PERCHANCE_WORKER_URL} ({@link WorkerPool}, the direct
 * mode) or through the shared work stream ({@link RedisDispatch}, the Redis mode). Exactly one of them is the
 * application's dispatch; the generation path ({@code ImageGenerator}) knows only this interface. Both map a worker's
 * answer by the same rules ({@link WorkerAnswers}).
 */
public interface WorkerDispatch {

	/**
	 * Whether generations can be dispatched at all.
	 * @return {@code false} only in the direct mode without {@code PERCHANCE_WORKER_URL}
	 */
	boolean configured();

	/**
	 * The problem to answer when {@link #configured()} is {@code false}.
	 * @return a 503 problem that says what to set
	 */
	ApiProblem notConfigured();

	/**
	 * Generates one image.
	 * @param request the worker request (with a concrete seed)
	 * @param expected the media type the caller asked for
	 * @param requestId the request id, passed on to the worker
	 * @param onWorker told the identity of each worker the generation is handed to (a URL, or a Redis worker id)
	 * @param progress told each progress event, or {@code null} when nobody listens (synchronous callers)
	 * @param fingerprint the request's fingerprint when its seed is fixed (identical requests then share one
	 * generation, across replicas in the Redis mode), {@code null} for a random seed or a fresh image
	 * @return the checked image, or an {@link ApiProblem} error
	 */
	Mono<WorkerImage> generate(WorkerRequest request, MediaType expected, String requestId, Consumer<String> onWorker,
			ProgressListener progress, String fingerprint);

	/**
	 * Generates one image that shares nothing with other requests.
	 * @param request the worker request (with a concrete seed)
	 * @param expected the media type the caller asked for
	 * @param requestId the request id, passed on to the worker
	 * @param onWorker told the identity of each worker the generation is handed to
	 * @param progress told each progress event, or {@code null}
	 * @return the checked image, or an {@link ApiProblem} error
	 */
	default Mono<WorkerImage> generate(WorkerRequest request, MediaType expected, String requestId,
			Consumer<String> onWorker, ProgressListener progress) {
		return generate(request, expected, requestId, onWorker, progress, null);
	}

}

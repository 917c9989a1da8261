package dev.imagegen.worker.generate;

import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

import io.micrometer.observation.ObservationRegistry;
import jakarta.annotation.PreDestroy;
import jakarta.servlet.http.HttpServletRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.context.request.async.DeferredResult;

import dev.imagegen.worker.browser.SessionPool;
import dev.imagegen.worker.config.WorkerProperties;
import dev.imagegen.worker.job.GenerationSpec;
import dev.imagegen.worker.job.Job;
import dev.imagegen.worker.job.JobTrace;
import dev.imagegen.worker.job.UpstreamImage;
import dev.imagegen.worker.problem.Problem;
import dev.imagegen.worker.progress.ProgressBoard;
import dev.imagegen.worker.request.RequestIdFilter;
import dev.imagegen.worker.problem.WorkerException;

/**
 * {@code POST /generate}: validates the body, queues a job and answers asynchronously when a browser session
 * has produced the image, the deadline passes, or the caller goes away (which cancels the job).
 */
@RestController
class GenerateController {

	private static final Logger log = LoggerFactory.getLogger(GenerateController.class);

	private final SessionPool pool;

	private final GenerationMetrics metrics;

	private final RequestParser parser;

	private final Duration generationTimeout;

	private final ObservationRegistry observations;

	// Transcoding runs off the session threads so a session can start its next generation at once.
	private final ExecutorService encoders;

	private final ProgressBoard progress;

	GenerateController(SessionPool pool, GenerationMetrics metrics, JsonMapper json, WorkerProperties properties,
			ProgressBoard progress, ObjectProvider<ObservationRegistry> observations) {
		this.pool = pool;
		this.progress = progress;
		this.observations = observations.getIfAvailable(() -> ObservationRegistry.NOOP);
		this.metrics = metrics;
		this.parser = new RequestParser(json, properties.jobs().maxPromptLength());
		this.generationTimeout = properties.jobs().generationTimeout();
		int threads = Math.max(2, Runtime.getRuntime().availableProcessors());
		AtomicInteger counter = new AtomicInteger();
		ThreadFactory factory = (runnable) -> {
			Thread thread = new Thread(runnable, "image-encoder-" + counter.incrementAndGet());
			thread.setDaemon(true);
			return thread;
		};
		this.encoders = Executors.newFixedThreadPool(threads, factory);
	}

	@PostMapping("/generate")
	DeferredResult<ResponseEntity<byte[]>> generate(@RequestBody(required = false) byte[] body,
			HttpServletRequest request) {
		long arrival = System.nanoTime();
		Duration deadline = Deadlines.of(request.getHeader(Deadlines.HEADER), this.generationTimeout);
		GenerationSpec spec = this.parser.parse(body);
		Job job = this.pool.submit(spec, RequestIdFilter.idOf(request), deadline, JobTrace.of(this.observations),
				this.progress::track);
		job.callerConnected(TomcatCallerProbe.of(request));
		DeferredResult<ResponseEntity<byte[]>> response = new DeferredResult<>(Math.max(1, job.remaining().toMillis()));
		response.onTimeout(() -> {
			abandon(job, "deadline");
			this.metrics.generation(Problem.DEADLINE_EXCEEDED.id(), Duration.ofNanos(System.nanoTime() - arrival));
			response.setErrorResult(new WorkerException(Problem.DEADLINE_EXCEEDED,
					"No image within the job's deadline (" + job.queueWait().toMillis() + " ms of it in the queue)"));
		});
		response.onError((failure) -> abandon(job, "caller-gone"));
		response.onCompletion(() -> abandon(job, "caller-gone"));
		job.result().thenApplyAsync((result) -> {
			long encodeStart = System.nanoTime();
			byte[] bytes = job.trace().observe("encode", () -> ImageEncoder.encode(result.image(), spec.format()));
			Duration generation = result.generation().plusNanos(System.nanoTime() - encodeStart);
			return success(result.image(), spec, bytes, result.queueWait(), generation);
		}, this.encoders).whenComplete((ok, failure) -> {
			Duration total = Duration.ofNanos(System.nanoTime() - arrival);
			if (ok != null) {
				this.metrics.generation("success", total);
				response.setResult(ok);
				return;
			}
			Throwable cause = (failure instanceof CompletionException && failure.getCause() != null) ? failure.getCause()
					: failure;
			if (cause instanceof CancellationException) {
				// Timed out or the caller went away: release the request (a write to a closed connection is ignored).
				response.setErrorResult(new WorkerException(Problem.DEADLINE_EXCEEDED, "The job was cancelled"));
				return;
			}
			WorkerException problem = (cause instanceof WorkerException w) ? w : internal(cause);
			this.metrics.generation(problem.problem().id(), total);
			response.setErrorResult(problem);
		});
		return response;
	}

	private void abandon(Job job, String reason) {
		Job.State before = job.state();
		if (job.cancel()) {
			this.pool.forget(job);
			if (before == Job.State.QUEUED) {
				this.pool.jobDropped(job, reason);
			}
		}
	}

	private static WorkerException internal(Throwable failure) {
		log.error("Encoding the image failed", failure);
		return new WorkerException(Problem.INTERNAL_ERROR, "The worker could not encode the image");
	}

	private static ResponseEntity<byte[]> success(UpstreamImage image, GenerationSpec spec, byte[] bytes,
			Duration queueWait, Duration generation) {
		return ResponseEntity.ok()
			.contentType(MediaType.parseMediaType(spec.format().mediaType()))
			.header("X-Seed", Long.toString(image.seed()))
			.header("X-Image-Width", Integer.toString(image.width()))
			.header("X-Image-Height", Integer.toString(image.height()))
			.header("X-Upstream-Image-Id", image.imageId())
			.header("X-Maybe-Nsfw", Boolean.toString(image.maybeNsfw()))
			.header("X-Queue-Wait-Ms", Long.toString(queueWait.toMillis()))
			.header("X-Generation-Ms", Long.toString(generation.toMillis()))
			.body(bytes);
	}

	@PreDestroy
	void close() {
		this.encoders.shutdown();
	}

}

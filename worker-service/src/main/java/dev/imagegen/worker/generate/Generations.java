package dev.imagegen.worker.generate;

import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import jakarta.annotation.PreDestroy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.stereotype.Component;

import dev.imagegen.worker.browser.SessionPool;
import dev.imagegen.worker.config.WorkerProperties;
import dev.imagegen.worker.job.CallerProbe;
import dev.imagegen.worker.job.GenerationSpec;
import dev.imagegen.worker.job.Job;
import dev.imagegen.worker.job.JobTrace;
import dev.imagegen.worker.job.UpstreamImage;
import dev.imagegen.worker.problem.Problem;
import dev.imagegen.worker.problem.WorkerException;
import dev.imagegen.worker.progress.ProgressBoard;

/**
 * The one path of a generation through the worker, whoever asked for it: {@code POST /generate} over HTTP or
 * an entry of the Redis work stream (docs/architecture.md, "Scale-out on Redis"). It checks the request body,
 * cuts the deadline to {@code GENERATION_TIMEOUT}, queues the job with its progress tracked, encodes the image
 * and records the end-to-end meter, so both callers answer exactly the same image or problem.
 */
@Component
public class Generations {

	private static final Logger log = LoggerFactory.getLogger(Generations.class);

	private final SessionPool pool;

	private final GenerationMetrics metrics;

	private final RequestParser parser;

	private final Duration generationTimeout;

	private final ProgressBoard progress;

	// Transcoding runs off the session threads so a session can start its next generation at once.
	private final ExecutorService encoders;

	Generations(SessionPool pool, GenerationMetrics metrics, JsonMapper json, WorkerProperties properties,
			ProgressBoard progress) {
		this.pool = pool;
		this.metrics = metrics;
		this.progress = progress;
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

	/**
	 * The job's deadline from now: the caller's budget, at most {@code GENERATION_TIMEOUT}.
	 * @param callerBudget what the caller has left, or null when it did not say
	 * @return the deadline from now
	 */
	public Duration deadline(Duration callerBudget) {
		if (callerBudget == null) {
			return this.generationTimeout;
		}
		return (callerBudget.compareTo(this.generationTimeout) < 0) ? callerBudget : this.generationTimeout;
	}

	/**
	 * Checks a request body and queues its job.
	 * @param body the JSON body of {@code POST /generate}
	 * @param requestId the caller's request id
	 * @param deadline the job's deadline from now (see {@link #deadline(Duration)})
	 * @param trace the job's trace
	 * @param caller whether the caller still waits
	 * @param onCreated called with the job before any session can see it, after its progress is tracked
	 * (the Redis mode publishes its progress from here)
	 * @return the running generation
	 * @throws WorkerException {@code invalid-request}, or any refusal of {@link SessionPool#submit}
	 */
	public Generation start(byte[] body, String requestId, Duration deadline, JobTrace trace, CallerProbe caller,
			Consumer<Job> onCreated) {
		long arrival = System.nanoTime();
		GenerationSpec spec = this.parser.parse(body);
		Job job = this.pool.submit(spec, requestId, deadline, trace, (created) -> {
			this.progress.track(created);
			onCreated.accept(created);
		});
		job.callerConnected(caller);
		return new Generation(job, spec, arrival);
	}

	@PreDestroy
	void close() {
		this.encoders.shutdown();
	}

	/** An image as the worker answers it: the encoded bytes and what the HTTP headers say of them. */
	public record Image(UpstreamImage upstream, GenerationSpec spec, byte[] bytes, Duration queueWait,
			Duration generation) {

		/**
		 * The answer's content type.
		 * @return {@code image/png} or {@code image/jpeg}
		 */
		public String contentType() {
			return this.spec.format().mediaType();
		}

	}

	/**
	 * One queued generation and its answer. The answer completes once: with the {@link Image}, with a
	 * {@link WorkerException} (the problem to answer), or with a {@link CancellationException} when the job was
	 * abandoned because its caller went away.
	 */
	public final class Generation {

		private final Job job;

		private final long arrival;

		private final CompletableFuture<Image> answer = new CompletableFuture<>();

		Generation(Job job, GenerationSpec spec, long arrival) {
			this.job = job;
			this.arrival = arrival;
			job.result().thenApplyAsync((result) -> {
				long encodeStart = System.nanoTime();
				byte[] bytes = job.trace().observe("encode", () -> ImageEncoder.encode(result.image(), spec.format()));
				Duration generation = result.generation().plusNanos(System.nanoTime() - encodeStart);
				return new Image(result.image(), spec, bytes, result.queueWait(), generation);
			}, Generations.this.encoders).whenComplete((ok, failure) -> {
				Duration total = Duration.ofNanos(System.nanoTime() - arrival);
				if (ok != null) {
					if (this.answer.complete(ok)) {
						Generations.this.metrics.generation("success", total);
					}
					return;
				}
				Throwable cause = (failure instanceof CompletionException && failure.getCause() != null)
						? failure.getCause() : failure;
				if (cause instanceof CancellationException cancelled) {
					// Timed out (answered by deadlinePassed) or the caller went away: nobody to meter for.
					this.answer.completeExceptionally(cancelled);
					return;
				}
				WorkerException problem = (cause instanceof WorkerException w) ? w : internal(cause);
				if (this.answer.completeExceptionally(problem)) {
					Generations.this.metrics.generation(problem.problem().id(), total);
				}
			});
		}

		/**
		 * The job (its progress, deadline and state).
		 * @return the job
		 */
		public Job job() {
			return this.job;
		}

		/**
		 * The answer, completed once (see the type's comment).
		 * @return the answer
		 */
		public CompletableFuture<Image> answer() {
			return this.answer;
		}

		/**
		 * The deadline passed before an answer: answers {@code 504 deadline-exceeded} and drops the job.
		 */
		public void deadlinePassed() {
			WorkerException late = new WorkerException(Problem.DEADLINE_EXCEEDED,
					"No image within the job's deadline (" + this.job.queueWait().toMillis() + " ms of it in the queue)");
			if (this.answer.completeExceptionally(late)) {
				Generations.this.metrics.generation(Problem.DEADLINE_EXCEEDED.id(),
						Duration.ofNanos(System.nanoTime() - this.arrival));
			}
			abandon("deadline");
		}

		/**
		 * Nobody waits for the answer any more: the job leaves the queue, or stops at its next step boundary.
		 * @param reason the metric's reason, e.g. {@code caller-gone}
		 */
		public void abandon(String reason) {
			Job.State before = this.job.state();
			if (this.job.cancel()) {
				Generations.this.pool.forget(this.job);
				if (before == Job.State.QUEUED) {
					Generations.this.pool.jobDropped(this.job, reason);
				}
			}
		}

	}

	private static WorkerException internal(Throwable failure) {
		log.error("Encoding the image failed", failure);
		return new WorkerException(Problem.INTERNAL_ERROR, "The worker could not encode the image");
	}

}

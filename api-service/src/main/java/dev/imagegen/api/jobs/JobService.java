package dev.imagegen.api.jobs;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.concurrent.atomic.AtomicBoolean;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.util.context.ContextView;
import tools.jackson.databind.json.JsonMapper;

import dev.imagegen.api.cache.ImageMemory;
import dev.imagegen.api.clients.ClientIdentity;
import dev.imagegen.api.generate.AsyncGenerations;
import dev.imagegen.api.generate.GenerateRequest;
import dev.imagegen.api.generate.ImageGenerator;
import dev.imagegen.api.problem.ApiProblem;
import dev.imagegen.api.problem.ProblemTypes;
import dev.imagegen.api.worker.ProgressListener;
import dev.imagegen.api.worker.WorkerProgress;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.server.ServerWebExchange;

/**
 * Creates, runs and cancels jobs. A job runs the one generation path ({@link ImageGenerator}) with its client's
 * limits, waits for its turn in the {@link JobQueue}, follows the worker's progress, and keeps its outcome in the
 * {@link JobStore} until its retention ends. Limits are decided at submission: a request over them is answered
 * {@code 429} and no job is made. Reads go through the store, so that in the Redis mode any replica answers for
 * a job another one runs; only the replica that runs a job can stop its generation, so a cancellation that
 * arrives elsewhere reaches it through {@link JobStore#cancelRequests()}.
 */
final class JobService implements AsyncGenerations {

	private static final Logger logger = LoggerFactory.getLogger(JobService.class);

	/** 144 random bits: above the 128 the API promises, and a whole number of base64 characters (24). */
	static final int ID_BYTES = 18;

	private static final SecureRandom RANDOM = new SecureRandom();

	/** What a job refused for want of image memory asks to wait: retained images expire. */
	private static final Duration NO_MEMORY_RETRY_AFTER = Duration.ofSeconds(30);

	/** Every id this service makes has this shape (URL-safe base64); a little room for a longer one later. */
	private static final Pattern ID_SHAPE = Pattern.compile("[A-Za-z0-9_-]{1,64}");

	private final ImageGenerator generator;

	private final JobStore store;

	private final JobQueue queue;

	private final JsonMapper jsonMapper;

	private final Clock clock;

	private final Meter.MeterProvider<Counter> finished;

	private final Duration generationTimeout;

	private final ImageMemory memory;

	/**
	 * @param generationTimeout how long a dispatched generation may take ({@code WORKER_TIMEOUT}): the deadline a
	 * job records with its generation in the Redis mode
	 * @param memory the direct memory budget a succeeded job's image is kept in
	 */
	JobService(ImageGenerator generator, JobStore store, JobQueue queue, JsonMapper jsonMapper, Clock clock,
			MeterRegistry meters, Duration generationTimeout, ImageMemory memory) {
		this.generator = generator;
		this.memory = memory;
		this.store = store;
		this.queue = queue;
		this.jsonMapper = jsonMapper;
		this.clock = clock;
		this.generationTimeout = generationTimeout;
		this.finished = Counter.builder("imagegen.jobs.finished")
			.description("Jobs that ended, by outcome (succeeded, failed, cancelled)")
			.withRegistry(meters);
		for (JobStatus status : JobStatus.values()) {
			Gauge.builder("imagegen.jobs.current", store, (jobs) -> jobs.countByStatus().get(status))
				.description("Jobs held by the API (running, or ended within JOB_RETENTION), by status")
				.tag("status", status.wireName())
				.register(meters);
		}
		Gauge.builder("imagegen.jobs.waiting", queue, JobQueue::waiting)
			.description("Jobs waiting in the API's own queue for their turn to go to a worker")
			.register(meters);
		// One failed cancel must not end this subscription: every later cancellation from elsewhere would be lost.
		store.cancelRequests().subscribe((id) -> {
			try {
				this.store.owned(id).ifPresent(this::cancelOwned);
			}
			catch (RuntimeException ex) {
				logger.error("Could not cancel job {} as another replica asked", id, ex);
			}
		}, (ex) -> logger.error("Job cancellations from other replicas are no longer acted on", ex));
	}

	@Override
	public Mono<ResponseEntity<byte[]>> submit(ServerWebExchange exchange, GenerateRequest request) {
		return start(request, exchange.getAttribute(ClientIdentity.ATTRIBUTE),
				AsyncGenerations.noCache(exchange.getRequest().getHeaders()))
			// A job can change before the answer (a cached image ends it at once): what the 202 shows, every replica
			// reads from then on.
			.flatMap((job) -> this.store.saved(job).thenReturn(job).onErrorResume((failure) -> {
				// The client is told to try again (503): the job it cannot see must not run on, or every retry
				// would add one more generation and one more MAX_JOBS slot.
				cancelOwned(job);
				return Mono.error(failure);
			}))
			.map((job) -> ResponseEntity.status(HttpStatus.ACCEPTED)
				.header(HttpHeaders.LOCATION, "/jobs/" + job.id())
				.header(HttpHeaders.CACHE_CONTROL, "no-store")
				.contentType(MediaType.APPLICATION_JSON)
				.body(json(job.view())));
	}

	/**
	 * Makes a job and starts it.
	 * @param request the validated request
	 * @param client whose limits apply
	 * @param fresh skip the cache lookup and single-flight ({@code Cache-Control: no-cache})
	 * @return the started job, or the {@link ApiProblem} {@code too-many-jobs} ({@code queue-unavailable} when
	 * Redis fails), or what the generation failed with before anything was queued (client limits, no worker
	 * configured): then no job exists
	 */
	Mono<Job> start(GenerateRequest request, ClientIdentity client, boolean fresh) {
		return Mono.defer(() -> {
			Job job = new Job(newId(), request, client, this.clock);
			return this.store.add(job).then(Mono.deferContextual((context) -> run(job, request, client, fresh, context)));
		});
	}

	private Mono<Job> run(Job job, GenerateRequest request, ClientIdentity client, boolean fresh,
			ContextView context) {
		// A fresh id per attempt: the worker's progress stream is named by it, and the job's id stays a secret
		// between the API and its client.
		String attemptId = UUID.randomUUID().toString();
		// Answered once the client limits decided (in the Redis mode asynchronously, after the subscribe below has
		// returned): empty when the generation was let through or already ended well, else what refused it; then
		// the POST answers that problem and no job exists.
		Sinks.One<Optional<Throwable>> decided = Sinks.one();
		AtomicBoolean admitted = new AtomicBoolean();
		ProgressListener progress = new ProgressListener() {
			@Override
			public void onProgress(WorkerProgress event) {
				job.progress(event);
			}

			@Override
			public void onDispatched(String generationId) {
				job.dispatchedAs(generationId, JobService.this.clock.instant().plus(JobService.this.generationTimeout));
			}

			@Override
			public void onAdmitted() {
				admitted.set(true);
				decided.tryEmitValue(Optional.empty());
			}
		};
		ImageGenerator.Call call = new ImageGenerator.Call(client, attemptId, fresh, (worker) -> {
		}, (work) -> this.queue.run(job, work), progress);
		// Subscribed here, not by the POST (the job outlives it), but in the POST's context: the worker call
		// continues the POST's trace.
		Disposable run = this.generator.generate(request, call).contextWrite(context).subscribe((generated) -> {
			decided.tryEmitValue(Optional.empty());
			ImageGenerator.Generated kept;
			try {
				kept = keptOffHeap(generated, this.memory);
			}
			catch (ApiProblem noMemory) {
				if (job.fail(noMemory, attemptId)) {
					ended(job, JobStatus.FAILED);
				}
				return;
			}
			finally {
				// The job keeps a reference of its own (a cache hit's is shared, not copied).
				generated.image().release();
			}
			if (job.succeed(kept)) {
				ended(job, JobStatus.SUCCEEDED);
			}
			else {
				kept.image().release();
			}
		}, (failure) -> {
			if (!admitted.get() && decided.tryEmitValue(Optional.of(failure)).isSuccess()) {
				// Failed before the limits let it through (the client gate, no worker): the POST answers it.
				return;
			}
			if (job.fail(problemOf(failure, attemptId), attemptId)) {
				ended(job, JobStatus.FAILED);
			}
		});
		job.attach(run);
		return decided.asMono().flatMap((refusal) -> {
			if (refusal.isEmpty()) {
				return Mono.just(job);
			}
			Throwable early = refusal.get();
			ApiProblem problem = (early instanceof ApiProblem known) ? known : problemOf(early, attemptId);
			return this.store.remove(job).onErrorResume((ex) -> Mono.empty()).then(Mono.error(problem));
		});
	}

	/**
	 * The job with this id.
	 * @param id the id from the URL
	 * @return the job, or the {@link ApiProblem} {@code 404 job-not-found}
	 */
	Mono<JobView> find(String id) {
		if (!possibleId(id)) {
			return Mono.error(notFound());
		}
		return this.store.find(id).switchIfEmpty(Mono.error(JobService::notFound));
	}

	/**
	 * Whether a path segment can be a job id at all; anything else is unknown without asking the store (in the
	 * Redis mode: without a round trip, and without odd text in a key name).
	 */
	private static boolean possibleId(String id) {
		return ID_SHAPE.matcher(id).matches();
	}

	/**
	 * The job's states from the current one on, completing after the terminal one.
	 * @param id the id from the URL
	 * @return the states, or the {@link ApiProblem} {@code 404 job-not-found} before any
	 */
	Flux<JobView> changes(String id) {
		if (!possibleId(id)) {
			return Flux.error(notFound());
		}
		return this.store.changes(id).switchIfEmpty(Mono.error(JobService::notFound));
	}

	/**
	 * The image of a succeeded job.
	 * @param job a succeeded job
	 * @return the image, or {@code 404 job-not-found} when it expired meanwhile
	 */
	Mono<ImageGenerator.Generated> image(JobView job) {
		return this.store.image(job).switchIfEmpty(Mono.error(JobService::notFound));
	}

	/**
	 * Cancels a job (nothing happens to one that has ended), whichever replica runs it.
	 * @param id the id from the URL
	 * @return the job after the cancellation
	 */
	Mono<JobView> cancel(String id) {
		if (!possibleId(id)) {
			return Mono.error(notFound());
		}
		return Mono.defer(() -> {
			Optional<Job> mine = this.store.owned(id);
			if (mine.isPresent()) {
				Job job = mine.get();
				cancelOwned(job);
				return this.store.saved(job).thenReturn(job.view());
			}
			return this.store.cancelElsewhere(id);
		}).switchIfEmpty(Mono.error(JobService::notFound));
	}

	private void cancelOwned(Job job) {
		if (job.cancel()) {
			ended(job, JobStatus.CANCELLED);
		}
	}

	/**
	 * The job's JSON.
	 * @param job the job
	 * @return UTF-8 bytes
	 */
	byte[] json(JobView job) {
		return this.jsonMapper.writeValueAsBytes(job.json());
	}

	private static ApiProblem notFound() {
		return ApiProblem.of(ProblemTypes.JOB_NOT_FOUND, 404, "Job not found",
				"There is no job with this id; jobs are kept for JOB_RETENTION after they end.");
	}

	private void ended(Job job, JobStatus outcome) {
		this.store.ended(job);
		this.finished.withTags("outcome", outcome.wireName()).increment();
	}

	/**
	 * A succeeded job's image held in direct memory for its retention, as the image cache holds its own
	 * (cache/StoredImage): thousands of retained jobs ({@code MAX_JOBS}) would not fit the API's 128 MB heap. An
	 * image the cache holds is that same buffer, not a copy: the job holds a reference of its own, released when the
	 * job store drops the job. It counts in the budget all kept images share
	 * ({@link ImageMemory}), below the direct memory Netty needs for every request and worker answer.
	 * @param generated what the generator returned
	 * @param memory the budget it is kept in
	 * @return the same with its image off-heap
	 * @throws ApiProblem a typed 503 when URLs and retained jobs have taken the images' budget
	 */
	static ImageGenerator.Generated keptOffHeap(ImageGenerator.Generated generated, ImageMemory memory) {
		try {
			return new ImageGenerator.Generated(generated.request(), memory.keep(generated.image()),
					generated.fingerprint(), generated.hit(), generated.age());
		}
		catch (ImageMemory.NoImageMemory ex) {
			throw ApiProblem.of(ProblemTypes.INTERNAL_ERROR, 503, "No memory for the image",
					"The API has no memory left to keep this job's image (retained jobs and OpenAI URLs hold their "
							+ "share of -XX:MaxDirectMemorySize); try again later.")
				.withRetryAfter(NO_MEMORY_RETRY_AFTER);
		}
	}

	private static ApiProblem problemOf(Throwable failure, String attemptId) {
		if (failure instanceof ApiProblem problem) {
			return problem;
		}
		logger.error("Job attempt {} failed unexpectedly", attemptId, failure);
		return ApiProblem.of(ProblemTypes.INTERNAL_ERROR, 500, "Internal error",
				"The API failed unexpectedly; quote the request id when reporting it.");
	}

	/** A job id: {@link #ID_BYTES} bytes of {@link SecureRandom}, URL-safe base64 without padding. */
	static String newId() {
		byte[] bytes = new byte[ID_BYTES];
		RANDOM.nextBytes(bytes);
		return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
	}

}

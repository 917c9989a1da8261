package dev.imagegen.api.jobs;

import java.security.SecureRandom;
import java.time.Clock;
import java.util.Base64;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

import dev.imagegen.api.clients.ClientIdentity;
import dev.imagegen.api.generate.AsyncGenerations;
import dev.imagegen.api.generate.GenerateRequest;
import dev.imagegen.api.generate.ImageGenerator;
import dev.imagegen.api.problem.ApiProblem;
import dev.imagegen.api.problem.ProblemTypes;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.server.ServerWebExchange;

/**
 * Creates, runs and cancels jobs. A job runs the one generation path ({@link ImageGenerator}) with its client's
 * limits, waits for its turn in the {@link JobQueue}, follows the worker's progress, and keeps its outcome in the
 * {@link JobStore} until its retention ends. Limits are decided at submission: a request over them is answered
 * {@code 429} and no job is made.
 */
final class JobService implements AsyncGenerations {

	private static final Logger logger = LoggerFactory.getLogger(JobService.class);

	/** 144 random bits: above the 128 the API promises, and a whole number of base64 characters (24). */
	static final int ID_BYTES = 18;

	private static final SecureRandom RANDOM = new SecureRandom();

	private final ImageGenerator generator;

	private final JobStore store;

	private final JobQueue queue;

	private final JsonMapper jsonMapper;

	private final Clock clock;

	private final Meter.MeterProvider<Counter> finished;

	JobService(ImageGenerator generator, JobStore store, JobQueue queue, JsonMapper jsonMapper, Clock clock,
			MeterRegistry meters) {
		this.generator = generator;
		this.store = store;
		this.queue = queue;
		this.jsonMapper = jsonMapper;
		this.clock = clock;
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
	}

	@Override
	public Mono<ResponseEntity<byte[]>> submit(ServerWebExchange exchange, GenerateRequest request) {
		return Mono.defer(() -> {
			Job job = start(request, exchange.getAttribute(ClientIdentity.ATTRIBUTE),
					AsyncGenerations.noCache(exchange.getRequest().getHeaders()));
			return Mono.just(ResponseEntity.status(HttpStatus.ACCEPTED)
				.header(HttpHeaders.LOCATION, "/jobs/" + job.id())
				.header(HttpHeaders.CACHE_CONTROL, "no-store")
				.contentType(MediaType.APPLICATION_JSON)
				.body(json(job)));
		});
	}

	/**
	 * Makes a job and starts it.
	 * @param request the validated request
	 * @param client whose limits apply
	 * @param fresh skip the cache lookup and single-flight ({@code Cache-Control: no-cache})
	 * @return the started job
	 * @throws ApiProblem {@code too-many-jobs}, or what the generation failed with before anything was queued
	 * (client limits, no worker configured): then no job exists
	 */
	Job start(GenerateRequest request, ClientIdentity client, boolean fresh) {
		Job job = new Job(newId(), request, client, this.clock);
		this.store.add(job);
		// A fresh id per attempt: the worker's progress stream is named by it, and the job's id stays a secret
		// between the API and its client.
		String attemptId = UUID.randomUUID().toString();
		ImageGenerator.Call call = new ImageGenerator.Call(client, attemptId, fresh, (worker) -> {
		}, (work) -> this.queue.run(job, work), job::progress);
		Thread submitter = Thread.currentThread();
		AtomicBoolean submitting = new AtomicBoolean(true);
		AtomicReference<Throwable> early = new AtomicReference<>();
		Disposable run = this.generator.generate(request, call).subscribe((generated) -> {
			if (job.succeed(generated)) {
				ended(job, JobStatus.SUCCEEDED);
			}
		}, (failure) -> {
			if (submitting.get() && Thread.currentThread() == submitter) {
				// Failed while being subscribed (the client gate, no worker): the POST itself answers the problem.
				early.set(failure);
			}
			else if (job.fail(problemOf(failure, attemptId), attemptId)) {
				ended(job, JobStatus.FAILED);
			}
		});
		submitting.set(false);
		if (early.get() != null) {
			this.store.remove(job.id());
			throw (early.get() instanceof ApiProblem problem) ? problem : problemOf(early.get(), attemptId);
		}
		job.attach(run);
		return job;
	}

	/**
	 * The job with this id.
	 * @param id the id from the URL
	 * @return the job
	 * @throws ApiProblem {@code 404 job-not-found}
	 */
	Job find(String id) {
		Optional<Job> job = this.store.find(id);
		if (job.isEmpty()) {
			throw ApiProblem.of(ProblemTypes.JOB_NOT_FOUND, 404, "Job not found",
					"There is no job with this id; jobs are kept for JOB_RETENTION after they end.");
		}
		return job.get();
	}

	/**
	 * Cancels a job (nothing happens to one that has ended).
	 * @param id the id from the URL
	 * @return the job after the cancellation
	 */
	Job cancel(String id) {
		Job job = find(id);
		if (job.cancel()) {
			ended(job, JobStatus.CANCELLED);
		}
		return job;
	}

	/**
	 * The job's JSON.
	 * @param job the job
	 * @return UTF-8 bytes
	 */
	byte[] json(Job job) {
		return this.jsonMapper.writeValueAsBytes(job.json());
	}

	private void ended(Job job, JobStatus outcome) {
		this.store.ended(job);
		this.finished.withTags("outcome", outcome.wireName()).increment();
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

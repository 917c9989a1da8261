package dev.imagegen.api.jobs;

import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;

import dev.imagegen.api.clients.ClientIdentity;
import dev.imagegen.api.generate.GenerateRequest;
import dev.imagegen.api.generate.ImageGenerator;
import dev.imagegen.api.problem.ApiProblem;
import dev.imagegen.api.worker.WorkerProgress;

/**
 * One asynchronous generation as the replica that runs it holds it: status, phase, queue positions, times, and in
 * the end the image or the problem. Every change is published, in order and with a growing version, as a
 * {@link Snapshot} on the job's change stream; a subscriber that arrives late gets the latest state at once. The
 * {@link JobStore} saves each snapshot where readers find it (in memory, or in Redis for every replica). State
 * changes are serialized on the job itself.
 */
final class Job {

	private final String id;

	private final GenerateRequest request;

	private final ClientIdentity client;

	private final Clock clock;

	private final Instant createdAt;

	/** Replays the latest state to each new subscriber, then every change; completes after the terminal one. */
	private final Sinks.Many<Snapshot> changes = Sinks.many().replay().latest();

	private JobStatus status = JobStatus.QUEUED;

	private String phase = "queued";

	private Integer queuePosition;

	private Integer upstreamQueuePosition;

	private Instant dispatchedAt;

	private Instant startedAt;

	private Instant finishedAt;

	private ImageGenerator.Generated result;

	private ApiProblem error;

	private String errorRequestId;

	private Disposable run;

	/** Grows by one with every published state; the Redis store keeps only newer ones (docs/architecture.md). */
	private long version;

	/** Redis mode: the shared work stream's id of the generation, where its result will be found. */
	private String generation;

	/** Redis mode: when the generation's deadline passes (it can no longer succeed after that). */
	private Instant deadline;

	private Snapshot latest;

	Job(String id, GenerateRequest request, ClientIdentity client, Clock clock) {
		this.id = id;
		this.request = request;
		this.client = client;
		this.clock = clock;
		this.createdAt = clock.instant();
		publish();
	}

	String id() {
		return this.id;
	}

	GenerateRequest request() {
		return this.request;
	}

	ClientIdentity client() {
		return this.client;
	}

	synchronized JobStatus status() {
		return this.status;
	}

	synchronized boolean ended() {
		return this.status.terminal();
	}

	synchronized ImageGenerator.Generated result() {
		return this.result;
	}

	synchronized ApiProblem error() {
		return this.error;
	}

	/**
	 * The job's states from the current one on; completes after the terminal state.
	 * @return the stream of states
	 */
	Flux<Snapshot> changes() {
		return this.changes.asFlux();
	}

	/** The running generation, cancelled by {@link #cancel()}. */
	synchronized void attach(Disposable generation) {
		if (this.status.terminal()) {
			generation.dispose();
		}
		else {
			this.run = generation;
		}
	}

	/** Waiting in the API's own queue, {@code position} jobs ahead of it. */
	synchronized void waiting(int position) {
		if (this.status == JobStatus.QUEUED && this.dispatchedAt == null
				&& !Objects.equals(this.queuePosition, position)) {
			this.queuePosition = position;
			publish();
		}
	}

	/** Sent to a worker: its place in the worker's queue is unknown until the worker reports it. */
	synchronized void dispatched() {
		if (this.status == JobStatus.QUEUED && this.dispatchedAt == null) {
			this.dispatchedAt = this.clock.instant();
			this.queuePosition = null;
			publish();
		}
	}

	/**
	 * Redis mode: the generation was added to the shared work stream (its result will be under this id).
	 * @param generationId the {@code gen} of the stream entry
	 * @param generationDeadline when the generation can no longer succeed
	 */
	synchronized void dispatchedAs(String generationId, Instant generationDeadline) {
		if (this.status.terminal()) {
			return;
		}
		this.generation = generationId;
		this.deadline = generationDeadline;
		publish();
	}

	/** An event of the worker's progress stream. */
	synchronized void progress(WorkerProgress progress) {
		if (this.status.terminal()) {
			return;
		}
		switch (progress.phase()) {
			case "queued" -> {
				if (this.status == JobStatus.QUEUED) {
					change(JobStatus.QUEUED, "queued", progress.queuePosition(), null);
				}
			}
			case "starting", "generating", "downloading", "done" ->
				change(JobStatus.RUNNING, progress.phase(), null, progress.upstreamQueuePosition());
			default -> {
				// "failed": the problem itself arrives on the generation's answer.
			}
		}
	}

	private void change(JobStatus newStatus, String newPhase, Integer position, Integer upstreamPosition) {
		if (newStatus == this.status && newPhase.equals(this.phase) && Objects.equals(position, this.queuePosition)
				&& Objects.equals(upstreamPosition, this.upstreamQueuePosition)) {
			return;
		}
		if (newStatus == JobStatus.RUNNING && this.startedAt == null) {
			this.startedAt = this.clock.instant();
		}
		this.status = newStatus;
		this.phase = newPhase;
		this.queuePosition = position;
		this.upstreamQueuePosition = upstreamPosition;
		publish();
	}

	/** @return {@code true} if this ended the job (a cancelled job drops its result) */
	synchronized boolean succeed(ImageGenerator.Generated generated) {
		if (this.status.terminal()) {
			return false;
		}
		this.result = generated;
		return end(JobStatus.SUCCEEDED, "done");
	}

	/** @return {@code true} if this ended the job */
	synchronized boolean fail(ApiProblem problem, String requestId) {
		if (this.status.terminal()) {
			return false;
		}
		this.error = problem;
		this.errorRequestId = requestId;
		return end(JobStatus.FAILED, this.phase);
	}

	/**
	 * Cancels the job: a queued one is withdrawn before any worker call, a running one's call is abandoned and its
	 * result dropped.
	 * @return {@code true} if this ended the job; {@code false} when it had already ended
	 */
	boolean cancel() {
		Disposable generation;
		synchronized (this) {
			if (this.status.terminal()) {
				return false;
			}
			end(JobStatus.CANCELLED, this.phase);
			generation = this.run;
			this.run = null;
		}
		// Outside the lock: disposing runs the generation's cancel handlers (the queue, the client gate).
		if (generation != null) {
			generation.dispose();
		}
		return true;
	}

	private boolean end(JobStatus terminal, String lastPhase) {
		Instant now = this.clock.instant();
		if (this.startedAt == null && this.dispatchedAt != null && terminal != JobStatus.CANCELLED) {
			this.startedAt = this.dispatchedAt;
		}
		this.status = terminal;
		this.phase = lastPhase;
		this.queuePosition = null;
		this.upstreamQueuePosition = null;
		this.finishedAt = now;
		publish();
		this.changes.tryEmitComplete();
		return true;
	}

	private void publish() {
		this.version++;
		this.latest = new Snapshot(this.version, this.status, json(), this.generation, this.deadline, this.result,
				this.error);
		this.changes.tryEmitNext(this.latest);
	}

	/**
	 * The latest state.
	 * @return the snapshot
	 */
	synchronized Snapshot latest() {
		return this.latest;
	}

	/**
	 * The latest state as readers see it.
	 * @return the view
	 */
	JobView view() {
		return view(latest());
	}

	/**
	 * A state of this job as readers see it.
	 * @param snapshot one of this job's snapshots
	 * @return the view
	 */
	JobView view(Snapshot snapshot) {
		return new JobView(this.id, snapshot.status(), snapshot.json(), this.request, snapshot.error(),
				snapshot.version());
	}

	/**
	 * The job as its JSON shows it (docs/api.md, "Jobs").
	 * @return the fields, in their documented order
	 */
	synchronized Map<String, Object> json() {
		Map<String, Object> json = new LinkedHashMap<>();
		json.put("id", this.id);
		json.put("status", this.status.wireName());
		json.put("phase", this.phase);
		json.put("queuePosition", this.queuePosition);
		json.put("upstreamQueuePosition", this.upstreamQueuePosition);
		json.put("createdAt", this.createdAt.toString());
		json.put("startedAt", (this.startedAt != null) ? this.startedAt.toString() : null);
		json.put("finishedAt", (this.finishedAt != null) ? this.finishedAt.toString() : null);
		json.put("seed", (this.result != null) ? Long.valueOf(this.result.image().seed())
				: (this.request.seedFixed() ? Long.valueOf(this.request.seed()) : null));
		Map<String, Object> parameters = new LinkedHashMap<>();
		parameters.put("prompt", this.request.prompt());
		parameters.put("negative_prompt", this.request.negativePrompt());
		parameters.put("seed", this.request.seed());
		parameters.put("guidance_scale", this.request.guidanceScale());
		parameters.put("shape", this.request.shape().wireName());
		parameters.put("format", this.request.format().wireName());
		json.put("parameters", parameters);
		if (this.status == JobStatus.SUCCEEDED) {
			json.put("image", "/jobs/" + this.id + "/image");
		}
		if (this.status == JobStatus.FAILED && this.error != null) {
			Map<String, Object> problem = new LinkedHashMap<>();
			problem.put("type", this.error.type());
			problem.put("title", this.error.title());
			problem.put("status", this.error.status());
			problem.put("detail", this.error.detail());
			problem.put("instance", "/jobs/" + this.id);
			problem.put("requestId", this.errorRequestId);
			if (!this.error.errors().isEmpty()) {
				problem.put("errors", this.error.errors());
			}
			json.put("error", problem);
		}
		return json;
	}

	/**
	 * One state of the job, as published on its change stream.
	 *
	 * @param version grows by one with every state
	 * @param status the status at that moment
	 * @param json the job's JSON at that moment
	 * @param generation Redis mode: the {@code gen} of its stream entry once dispatched, else {@code null}
	 * @param deadline Redis mode: the generation's deadline once dispatched, else {@code null}
	 * @param result the image once succeeded, else {@code null}
	 * @param error the problem once failed, else {@code null}
	 */
	record Snapshot(long version, JobStatus status, Map<String, Object> json, String generation, Instant deadline,
			ImageGenerator.Generated result, ApiProblem error) {

		/** @return whether it is the last one */
		boolean terminal() {
			return this.status.terminal();
		}

	}

}

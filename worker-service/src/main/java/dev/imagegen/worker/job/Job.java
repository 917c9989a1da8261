package dev.imagegen.worker.job;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * One generation request on its way through the queue and a browser session. Its deadline is counted from
 * arrival; the caller's side completes or cancels it, the session side runs it. It also carries its progress
 * (phase and queue positions, docs/worker-api.md "Progress") and tells its watchers of every change.
 */
public final class Job implements ProgressSink {

	/** Where a job is in its life. */
	public enum State {

		/** Waiting for a session. */
		QUEUED,
		/** A session is working on it. */
		RUNNING,
		/** Answered (success or failure). */
		DONE,
		/** The caller went away or its deadline passed before it was answered. */
		CANCELLED

	}

	private final GenerationSpec spec;

	private final String requestId;

	private final long arrivalNanos;

	private final long deadlineNanos;

	private final CompletableFuture<Result> result = new CompletableFuture<>();

	private final AtomicReference<State> state = new AtomicReference<>(State.QUEUED);

	private final AtomicBoolean retried = new AtomicBoolean();

	private volatile long startNanos;

	private volatile CallerProbe callerConnected = CallerProbe.ALWAYS_CONNECTED;

	// Guarded by this, like the state changes that move it, so watchers see the events in order.
	private ProgressEvent progress;

	private final List<Consumer<ProgressEvent>> watchers = new CopyOnWriteArrayList<>();

	private volatile JobTrace trace = JobTrace.NONE;

	/**
	 * Creates a job that arrives now.
	 * @param spec what to generate
	 * @param requestId the caller's request id, for logs
	 * @param timeout the deadline, from now
	 */
	public Job(GenerationSpec spec, String requestId, Duration timeout) {
		this.spec = spec;
		this.requestId = requestId;
		this.arrivalNanos = System.nanoTime();
		this.deadlineNanos = this.arrivalNanos + timeout.toNanos();
		this.progress = new ProgressEvent(requestId, Phase.QUEUED.id(), null, null);
	}

	/**
	 * What to generate.
	 * @return the spec
	 */
	public GenerationSpec spec() {
		return this.spec;
	}

	/**
	 * The caller's request id.
	 * @return the id
	 */
	public String requestId() {
		return this.requestId;
	}

	/**
	 * Time left until the deadline.
	 * @return the remaining time, negative once passed
	 */
	public Duration remaining() {
		return Duration.ofNanos(this.deadlineNanos - System.nanoTime());
	}

	/**
	 * Whether the deadline has passed.
	 * @return true when no time is left
	 */
	public boolean expired() {
		return System.nanoTime() - this.deadlineNanos >= 0;
	}

	/**
	 * The current state.
	 * @return the state
	 */
	public State state() {
		return this.state.get();
	}

	/**
	 * Whether nobody waits for this job any more.
	 * @return true once cancelled or answered
	 */
	public boolean finished() {
		State s = this.state.get();
		return s == State.DONE || s == State.CANCELLED;
	}

	/**
	 * Attaches the job's trace (docs/operations.md, "Traces") and starts its queue wait; call it before the
	 * job is offered to the queue, so that every step a session runs belongs to it.
	 * @param trace the trace
	 */
	public void traced(JobTrace trace) {
		this.trace = trace;
		trace.queued();
	}

	/**
	 * The job's trace.
	 * @return the trace, {@link JobTrace#NONE} until one is attached
	 */
	public JobTrace trace() {
		return this.trace;
	}

	/**
	 * Called by a session that takes the job; fails when the job was cancelled meanwhile.
	 * @return true when the session may run it
	 */
	public boolean start() {
		if (this.state.compareAndSet(State.QUEUED, State.RUNNING)) {
			if (this.startNanos == 0) {
				this.startNanos = System.nanoTime();
			}
			report(Phase.STARTING, null, null);
			return true;
		}
		return false;
	}

	/**
	 * Puts a running job back to the queued state so another session can retry it; only once per job.
	 * @return true when the job may be retried
	 */
	public boolean requeueOnce() {
		if (this.retried.compareAndSet(false, true) && this.state.compareAndSet(State.RUNNING, State.QUEUED)) {
			// Its place comes with the queue's next publication of positions.
			report(Phase.QUEUED, null, null);
			return true;
		}
		return false;
	}

	/**
	 * The queue's report of this job's place; ignored unless the job is waiting.
	 * @param position jobs ahead of it (0 = next)
	 */
	public synchronized void queuedAt(int position) {
		if (this.state.get() == State.QUEUED) {
			report(Phase.QUEUED, position, null);
		}
	}

	/**
	 * A running job entered a phase; a repeat of the current phase changes nothing (so an upstream queue
	 * position seen during {@code generating} stays).
	 * @param phase {@code starting}, {@code generating} or {@code downloading}
	 */
	@Override
	public synchronized void phase(Phase phase) {
		if (this.state.get() == State.RUNNING && !phase.terminal() && !phase.id().equals(this.progress.phase())) {
			report(phase, null, null);
		}
	}

	/**
	 * Perchance's queue position for the outstanding generate call; ignored outside {@code generating}.
	 * @param position the position, or null when it is not in Perchance's queue
	 */
	@Override
	public synchronized void upstreamQueuePosition(Integer position) {
		if (this.state.get() == State.RUNNING && Phase.GENERATING.id().equals(this.progress.phase())) {
			report(Phase.GENERATING, null, position);
		}
	}

	/**
	 * The current progress.
	 * @return the latest event
	 */
	public synchronized ProgressEvent progress() {
		return this.progress;
	}

	/**
	 * Adds a watcher of every later progress event and answers the current one, atomically, so the watcher
	 * misses nothing. Watchers run under this job's lock: they must only hand the event on, never block.
	 * @param watcher called with each new event
	 * @return the current event
	 */
	public synchronized ProgressEvent watch(Consumer<ProgressEvent> watcher) {
		this.watchers.add(watcher);
		return this.progress;
	}

	/** Publishes a new event unless it equals the last one or the last one was terminal. */
	private synchronized void report(Phase phase, Integer queuePosition, Integer upstreamQueuePosition) {
		if (this.progress.terminal()) {
			return;
		}
		ProgressEvent next = new ProgressEvent(this.requestId, phase.id(), queuePosition, upstreamQueuePosition);
		if (next.equals(this.progress)) {
			return;
		}
		this.progress = next;
		for (Consumer<ProgressEvent> watcher : this.watchers) {
			try {
				watcher.accept(next);
			}
			catch (RuntimeException ex) {
				// Progress is a side channel: it must never keep a job from being answered.
			}
		}
	}

	/**
	 * Sets how to tell whether the caller's connection is still open.
	 * @param probe answers false once the caller has gone
	 */
	public void callerConnected(CallerProbe probe) {
		this.callerConnected = probe;
	}

	/**
	 * Whether the caller of a queued or running job has gone away. Synchronised with {@link #cancel()},
	 * {@link #succeed} and {@link #fail} so the probe never looks at a connection whose request has already
	 * been answered (and recycled).
	 * @return true when nobody waits for the job any more
	 */
	public synchronized boolean callerGone() {
		State s = this.state.get();
		if (s != State.QUEUED && s != State.RUNNING) {
			return s == State.CANCELLED;
		}
		try {
			return !this.callerConnected.connected();
		}
		catch (RuntimeException ex) {
			return false;
		}
	}

	/**
	 * Cancels the job unless it has been answered already (the caller went away or timed out).
	 * @return true when this call cancelled it
	 */
	public synchronized boolean cancel() {
		if (finish(State.CANCELLED)) {
			report(Phase.FAILED, null, null);
			this.result.cancel(false);
			return true;
		}
		return false;
	}

	/**
	 * Answers the job with an image.
	 * @param image the image
	 */
	public synchronized void succeed(UpstreamImage image) {
		long now = System.nanoTime();
		long wait = ((this.startNanos != 0) ? this.startNanos : now) - this.arrivalNanos;
		long generation = (this.startNanos != 0) ? now - this.startNanos : 0;
		if (finish(State.DONE)) {
			report(Phase.DONE, null, null);
			this.result.complete(new Result(image, Duration.ofNanos(wait), Duration.ofNanos(generation)));
		}
	}

	/**
	 * Answers the job with a failure.
	 * @param failure the failure
	 */
	public synchronized void fail(Throwable failure) {
		if (finish(State.DONE)) {
			report(Phase.FAILED, null, null);
			this.result.completeExceptionally(failure);
		}
	}

	/** Moves an unfinished job to {@code end}; false when it was answered or cancelled already. */
	private boolean finish(State end) {
		this.trace.queueWaitEnded();
		while (true) {
			State s = this.state.get();
			if (s == State.DONE || s == State.CANCELLED) {
				return false;
			}
			if (this.state.compareAndSet(s, end)) {
				return true;
			}
		}
	}

	/**
	 * The future the caller's side waits on.
	 * @return the result future
	 */
	public CompletableFuture<Result> result() {
		return this.result;
	}

	/**
	 * Time spent in the queue so far (or until a session took it).
	 * @return the wait
	 */
	public Duration queueWait() {
		long end = (this.startNanos != 0) ? this.startNanos : System.nanoTime();
		return Duration.ofNanos(end - this.arrivalNanos);
	}

	/**
	 * A finished job.
	 * @param image the image
	 * @param queueWait time between arrival and a session taking the job
	 * @param generation time a session spent on it
	 */
	public record Result(UpstreamImage image, Duration queueWait, Duration generation) {
	}

}

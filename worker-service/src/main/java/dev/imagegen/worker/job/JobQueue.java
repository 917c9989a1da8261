package dev.imagegen.worker.job;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The one bounded queue that feeds the browser sessions. Capacity limits new arrivals only: a job that a
 * crashed session hands back goes to the front even when the queue is full, since it was already accepted.
 * After every change it tells each waiting job its place ({@link Job#queuedAt}).
 */
public final class JobQueue {

	private final int capacity;

	private final LinkedBlockingDeque<Job> jobs = new LinkedBlockingDeque<>();

	// Guarded by this: once closed for shutdown, nothing may slip in behind the final drain.
	private boolean closed;

	/**
	 * Creates an empty queue.
	 * @param capacity how many new jobs may wait
	 */
	public JobQueue(int capacity) {
		this.capacity = capacity;
	}

	/**
	 * Adds a new job unless the queue is full.
	 * @param job the job
	 * @return false when there is no room
	 */
	public boolean offer(Job job) {
		return offer(job, (j) -> {
		});
	}

	/**
	 * Adds a new job unless the queue is full, telling it its place first and calling {@code beforeVisible}
	 * before any session can take it (so whoever follows its progress sees its first place, not a blank).
	 * @param job the job
	 * @param beforeVisible called with the job once it is sure to be added, before it is
	 * @return false when there is no room (then {@code beforeVisible} was not called)
	 */
	public synchronized boolean offer(Job job, Consumer<Job> beforeVisible) {
		if (this.closed || this.jobs.size() >= this.capacity) {
			return false;
		}
		job.queuedAt(this.jobs.size());
		beforeVisible.accept(job);
		this.jobs.offerLast(job);
		publishPositions();
		return true;
	}

	/**
	 * Puts an accepted job back at the front, unless the queue is closed.
	 * @param job the job
	 * @return false when the queue is closed for shutdown, so the caller must answer the job itself
	 */
	public synchronized boolean requeueFirst(Job job) {
		if (this.closed) {
			return false;
		}
		this.jobs.offerFirst(job);
		publishPositions();
		return true;
	}

	/** Takes jobs again (a pool that is started, possibly after a stop). */
	public synchronized void open() {
		this.closed = false;
	}

	/**
	 * Refuses every later job and removes every waiting one (shutdown).
	 * @return the removed jobs
	 */
	public synchronized List<Job> closeAndDrain() {
		this.closed = true;
		return drain();
	}

	/**
	 * Takes the next job, waiting a little for one.
	 * @param timeoutMillis how long to wait
	 * @return the job or null
	 * @throws InterruptedException when the session thread is stopped
	 */
	public Job poll(long timeoutMillis) throws InterruptedException {
		Job job = this.jobs.pollFirst(timeoutMillis, TimeUnit.MILLISECONDS);
		if (job != null) {
			publishPositions();
		}
		return job;
	}

	/**
	 * Removes every waiting job (shutdown, or no session can serve).
	 * @return the removed jobs
	 */
	public List<Job> drain() {
		List<Job> drained = new ArrayList<>();
		this.jobs.drainTo(drained);
		return drained;
	}

	/**
	 * Removes a job that no longer needs a session.
	 * @param job the job
	 */
	public void remove(Job job) {
		if (this.jobs.remove(job)) {
			publishPositions();
		}
	}

	/**
	 * Tells every waiting job its place. Under this queue's lock, so two publications never interleave and
	 * the last one always reflects the queue after the last change.
	 */
	private synchronized void publishPositions() {
		int ahead = 0;
		for (Job job : this.jobs) {
			job.queuedAt(ahead++);
		}
	}

	/**
	 * The jobs waiting now, oldest first (a copy).
	 * @return the jobs
	 */
	public List<Job> snapshot() {
		return new ArrayList<>(this.jobs);
	}

	/**
	 * Jobs waiting.
	 * @return the depth
	 */
	public int depth() {
		return this.jobs.size();
	}

	/**
	 * The capacity for new jobs.
	 * @return the capacity
	 */
	public int capacity() {
		return this.capacity;
	}

}

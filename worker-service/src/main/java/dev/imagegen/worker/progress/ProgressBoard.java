package dev.imagegen.worker.progress;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import jakarta.annotation.PreDestroy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

import dev.imagegen.worker.job.Job;
import dev.imagegen.worker.job.ProgressEvent;

/**
 * The progress of every job the worker holds, by request id, and the open streams that follow it
 * (docs/worker-api.md, "Progress"). A subscriber gets the current event at once, then every change, and its
 * stream ends after the terminal event; the terminal event stays {@code retention} (60 s) for late
 * subscribers. All sending happens on one sender thread, in order: a job's watcher only hands events to it, so
 * neither a session thread nor the queue ever waits for a slow stream.
 */
@Component
public class ProgressBoard {

	private static final Logger log = LoggerFactory.getLogger(ProgressBoard.class);

	/** How long a finished job's terminal event stays for late subscribers. */
	static final Duration RETENTION = Duration.ofSeconds(60);

	/** A comment goes to every stream this often (the channel promises one at least every 15 s). */
	static final Duration KEEP_ALIVE = Duration.ofSeconds(10);

	private final Map<String, Entry> entries = new ConcurrentHashMap<>();

	// Guarded by this, together with adding to entries, so a waiter never misses the job it waits for.
	private final Map<String, List<Consumer<Entry>>> waiters = new ConcurrentHashMap<>();

	private final Duration retention;

	// One thread for every send, comment and subscription change: the order of a job's events holds.
	private final ScheduledExecutorService sender;

	/** Creates the board with the channel's fixed retention and keep-alive. */
	@Autowired
	public ProgressBoard() {
		this(RETENTION, KEEP_ALIVE);
	}

	ProgressBoard(Duration retention, Duration keepAlive) {
		this.retention = retention;
		this.sender = Executors.newSingleThreadScheduledExecutor((runnable) -> {
			Thread thread = new Thread(runnable, "progress-sender");
			thread.setDaemon(true);
			return thread;
		});
		this.sender.scheduleWithFixedDelay(this::keepAlive, keepAlive.toMillis(), keepAlive.toMillis(),
				TimeUnit.MILLISECONDS);
	}

	/**
	 * Starts following an accepted job; subscribers waiting for its id are attached at once. A second job
	 * with the same id replaces the first on the board.
	 * @param job the job
	 */
	public void track(Job job) {
		Entry entry = new Entry(job.requestId());
		ProgressEvent current = job.watch((event) -> entry.publish(event));
		entry.initial(current);
		List<Consumer<Entry>> waiting;
		synchronized (this) {
			this.entries.put(job.requestId(), entry);
			waiting = this.waiters.remove(job.requestId());
		}
		if (current.terminal()) {
			entry.scheduleEviction();
		}
		if (waiting != null) {
			waiting.forEach((waiter) -> waiter.accept(entry));
		}
	}

	/**
	 * Finds the job of an id now, or registers to be told when it appears.
	 * @param requestId the id
	 * @param found called once with the entry when the job is known (at once, or when it is tracked)
	 * @return a handle that stops waiting (when the wait times out), or null when the job was known already
	 */
	Runnable find(String requestId, Consumer<Entry> found) {
		Entry entry;
		synchronized (this) {
			entry = this.entries.get(requestId);
			if (entry == null) {
				this.waiters.computeIfAbsent(requestId, (id) -> new CopyOnWriteArrayList<>()).add(found);
				return () -> {
					synchronized (this) {
						List<Consumer<Entry>> list = this.waiters.get(requestId);
						if (list != null) {
							list.remove(found);
							if (list.isEmpty()) {
								this.waiters.remove(requestId);
							}
						}
					}
				};
			}
		}
		found.accept(entry);
		return null;
	}

	/**
	 * Sends the current event to a new subscriber, then every later one.
	 * @param entry the job's entry
	 * @param subscriber the stream
	 */
	void subscribe(Entry entry, ProgressSubscriber subscriber) {
		this.sender.execute(() -> {
			Follower follower = new Follower(subscriber);
			ProgressEvent current = entry.last;
			if (!follower.send(current)) {
				return;
			}
			if (current.terminal()) {
				subscriber.complete();
				return;
			}
			entry.followers.add(follower);
		});
	}

	/**
	 * Stops sending to a subscriber that went away (it changes nothing for the job).
	 * @param entry the job's entry
	 * @param subscriber the stream
	 */
	void unsubscribe(Entry entry, ProgressSubscriber subscriber) {
		this.sender.execute(() -> entry.followers.removeIf((f) -> f.subscriber == subscriber));
	}

	/**
	 * Whether a job is on the board (tests and the endpoint's fast path).
	 * @param requestId the id
	 * @return true while it is held or its terminal event is kept
	 */
	boolean knows(String requestId) {
		return this.entries.containsKey(requestId);
	}

	private void keepAlive() {
		for (Entry entry : this.entries.values()) {
			entry.followers.removeIf((follower) -> !follower.keepAlive());
		}
	}

	@PreDestroy
	void close() {
		this.sender.shutdownNow();
	}

	/** A job on the board: its latest event and the streams that follow it. */
	final class Entry {

		private final String requestId;

		private volatile ProgressEvent last;

		// Touched only on the sender thread.
		private final List<Follower> followers = new ArrayList<>();

		Entry(String requestId) {
			this.requestId = requestId;
		}

		/** The event current when watching began, unless a newer one arrived meanwhile. */
		private synchronized void initial(ProgressEvent current) {
			if (this.last == null) {
				this.last = current;
			}
		}

		/** Called under the job's lock: only hand the event on. */
		private void publish(ProgressEvent event) {
			synchronized (this) {
				this.last = event;
			}
			try {
				ProgressBoard.this.sender.execute(() -> deliver(event));
				if (event.terminal()) {
					scheduleEviction();
				}
			}
			catch (RejectedExecutionException ex) {
				// The board is closing (shutdown): nobody streams any more.
			}
		}

		private void deliver(ProgressEvent event) {
			this.followers.removeIf((follower) -> !follower.send(event));
			if (event.terminal()) {
				this.followers.forEach((follower) -> follower.subscriber.complete());
				this.followers.clear();
			}
		}

		private void scheduleEviction() {
			ProgressBoard.this.sender.schedule(() -> ProgressBoard.this.entries.remove(this.requestId, this),
					ProgressBoard.this.retention.toMillis(), TimeUnit.MILLISECONDS);
		}

	}

	/** One subscriber and the last event it got, so a subscription racing an event never sends it twice. */
	private static final class Follower {

		private final ProgressSubscriber subscriber;

		private ProgressEvent sent;

		Follower(ProgressSubscriber subscriber) {
			this.subscriber = subscriber;
		}

		boolean send(ProgressEvent event) {
			if (event.equals(this.sent)) {
				return true;
			}
			try {
				this.subscriber.send(event);
				this.sent = event;
				return true;
			}
			catch (IOException | RuntimeException ex) {
				log.debug("A progress subscriber of {} went away: {}", event.requestId(), ex.toString());
				return false;
			}
		}

		boolean keepAlive() {
			try {
				this.subscriber.keepAlive();
				return true;
			}
			catch (IOException | RuntimeException ex) {
				return false;
			}
		}

	}

}

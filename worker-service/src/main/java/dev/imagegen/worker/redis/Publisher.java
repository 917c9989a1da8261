package dev.imagegen.worker.redis;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes the messages of every generation on its {@code P:events:{gen}} channel, in order, on one thread: a
 * job's progress watcher runs under the job's lock and may only hand its event over, and the {@code result}
 * message (sent with the stored result, after {@link #flush()}) must follow the progress events it ends.
 * Progress is a side channel: when Redis is slow and the backlog is full, further progress events are dropped
 * (the result is stored and read from its key anyway).
 */
final class Publisher implements AutoCloseable {

	private static final Logger log = LoggerFactory.getLogger(Publisher.class);

	private static final int BACKLOG = 1000;

	private final WorkStream stream;

	private final RedisMetrics metrics;

	private final ThreadPoolExecutor sender;

	Publisher(WorkStream stream, RedisMetrics metrics) {
		this.stream = stream;
		this.metrics = metrics;
		this.sender = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(BACKLOG),
				(runnable) -> {
					Thread thread = new Thread(runnable, "redis-events");
					thread.setDaemon(true);
					return thread;
				}, new ThreadPoolExecutor.AbortPolicy());
	}

	/**
	 * Queues a message; never blocks.
	 * @param gen the generation
	 * @param message the JSON
	 * @return the send, done once it was tried
	 */
	Future<?> publish(String gen, String message) {
		try {
			return this.sender.submit(() -> {
				try {
					this.stream.publish(gen, message);
				}
				catch (RuntimeException ex) {
					this.metrics.error("publish");
					log.debug("Publishing on the channel of {} failed: {}", gen, ex.toString());
					throw ex;
				}
			});
		}
		catch (RejectedExecutionException ex) {
			// Backlog full (Redis slow) or shutting down: a failed send at once, never a future that stays open
			// (a caller waiting for the result message would wait its whole timeout; the API's 5 s read covers it).
			this.metrics.error("publish");
			log.debug("Publishing on the channel of {} dropped: {}", gen, ex.toString());
			return CompletableFuture.failedFuture(ex);
		}
	}

	/**
	 * The point after every message queued so far: done once they were all tried, so that a message sent
	 * elsewhere next (the {@code result}, with the stored result) follows them.
	 * @return done after the messages queued before it
	 */
	Future<?> flush() {
		try {
			return this.sender.submit(() -> {
			});
		}
		catch (RejectedExecutionException ex) {
			return CompletableFuture.failedFuture(ex);
		}
	}

	@Override
	public void close() {
		this.sender.shutdown();
	}

}

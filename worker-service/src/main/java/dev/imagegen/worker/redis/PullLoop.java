package dev.imagegen.worker.redis;

import java.time.Duration;
import java.util.Optional;
import java.util.function.BooleanSupplier;

import io.lettuce.core.StreamMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One pull loop per browser session, consumer {@code <workerId>:<sessionId>} of the group {@code workers}. It
 * reads only while {@link FreeSessions} says a session is free, one entry at a time: first an entry abandoned by
 * a gone worker ({@code XAUTOCLAIM … COUNT 1}), else a new one ({@code XREADGROUP … COUNT 1 BLOCK 5000}); it
 * runs that entry to its end ({@link EntryRunner}) and only then reads again. So the loops together never hold
 * more entries than the worker has sessions, and an HTTP job waiting in the queue takes a session before the
 * next entry is read. (A session that an HTTP job takes while a read is blocked makes the entry that read brings
 * wait in the queue like any job, within its deadline.) The entry runs on whichever session is free first, not
 * necessarily the one the consumer is named after.
 * <p>
 * The loop survives every error: it logs, marks Redis down, backs off (up to 5 s) and goes on; after
 * {@code NOGROUP} (Redis restarted empty) it creates the group again. A listener that stopped on its first
 * error would silently stop a worker.
 */
final class PullLoop implements Runnable {

	private static final Logger log = LoggerFactory.getLogger(PullLoop.class);

	// Short: a session freed by the entry just answered (its state turns ready just after the answer) must not wait
	// for its next one; every wait is added to a job's latency (bench/redis-vs-direct.sh). The check it repeats is
	// a snapshot of a few sessions, microseconds, so 200 a second per loop while all are busy cost nothing.
	private static final Duration IDLE_WAIT = Duration.ofMillis(5);

	private static final Duration BACKOFF_MIN = Duration.ofMillis(200);

	private static final Duration BACKOFF_MAX = Duration.ofSeconds(5);

	private final String consumer;

	private final WorkStream stream;

	private final WorkStream.Reader reader;

	private final FreeSessions sessions;

	private final EntryRunner runner;

	private final RedisStatus status;

	private final RedisMetrics metrics;

	private final BooleanSupplier stopping;

	private final Object signal;

	PullLoop(String consumer, WorkStream stream, FreeSessions sessions, EntryRunner runner, RedisStatus status,
			RedisMetrics metrics, BooleanSupplier stopping, Object signal) {
		this.consumer = consumer;
		this.stream = stream;
		this.reader = stream.reader();
		this.sessions = sessions;
		this.runner = runner;
		this.status = status;
		this.metrics = metrics;
		this.stopping = stopping;
		this.signal = signal;
	}

	String consumer() {
		return this.consumer;
	}

	@Override
	public void run() {
		boolean group = false;
		long backoff = BACKOFF_MIN.toMillis();
		boolean failing = false;
		try {
			while (!this.stopping.getAsBoolean() && !Thread.currentThread().isInterrupted()) {
				String operation = "group";
				FreeSessions.Reservation reservation = null;
				try {
					if (!group) {
						this.stream.createGroup();
						group = true;
					}
					reservation = this.sessions.tryReserve();
					if (reservation == null) {
						pause(IDLE_WAIT.toMillis());
						continue;
					}
					operation = "read";
					Optional<StreamMessage<String, byte[]>> claimed = this.reader.claimAbandoned(this.consumer);
					Optional<StreamMessage<String, byte[]>> entry = claimed.isPresent() ? claimed
							: this.reader.read(this.consumer);
					this.status.up();
					if (failing) {
						log.info("Pull loop {}: Redis answers again", this.consumer);
						failing = false;
					}
					backoff = BACKOFF_MIN.toMillis();
					if (entry.isPresent()) {
						this.runner.run(this.reader, this.consumer, entry.get(), claimed.isPresent(), reservation::release,
								this.stopping);
					}
				}
				catch (RuntimeException ex) {
					if (WorkStream.noGroup(ex)) {
						group = false;
					}
					this.metrics.error(operation);
					this.status.down(ex);
					if (!failing) {
						log.warn("Pull loop {}: Redis failed ({}); retrying with backoff up to {} s", this.consumer,
								ex.toString(), BACKOFF_MAX.toSeconds());
						failing = true;
					}
					else {
						log.debug("Pull loop {}: Redis still failing: {}", this.consumer, ex.toString());
					}
					pause(backoff);
					backoff = Math.min(backoff * 2, BACKOFF_MAX.toMillis());
				}
				finally {
					if (reservation != null) {
						reservation.release();
					}
				}
			}
		}
		finally {
			this.reader.close();
		}
	}

	/** Waits, but wakes at once when the worker stops. */
	private void pause(long millis) {
		synchronized (this.signal) {
			if (this.stopping.getAsBoolean()) {
				return;
			}
			try {
				this.signal.wait(millis);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
		}
	}

}

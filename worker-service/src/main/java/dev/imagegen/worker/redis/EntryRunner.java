package dev.imagegen.worker.redis;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

import io.lettuce.core.StreamMessage;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.transport.Kind;
import io.micrometer.observation.transport.ReceiverContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.imagegen.worker.generate.Generations;
import dev.imagegen.worker.job.Job;
import dev.imagegen.worker.job.JobTrace;
import dev.imagegen.worker.job.ProgressEvent;
import dev.imagegen.worker.problem.Problem;
import dev.imagegen.worker.problem.WorkerException;

/**
 * Runs one work-stream entry through the same path as {@code POST /generate} ({@link Generations}) and answers
 * it on the wire of docs/architecture.md ("Scale-out on Redis"). Before it starts: an entry delivered more than
 * {@value #MAX_DELIVERIES} times is answered {@code 503 worker-unavailable}, one whose caller has gone
 * ({@code P:cancel:{gen}}) is acknowledged without a result, one past its deadline is answered
 * {@code 504 deadline-exceeded}; none of them reaches a session. While it runs, it is re-claimed every beat (so no
 * other worker takes it), its progress goes to {@code P:events:{gen}}, and the cancel key, looked at once a
 * second, is the job's caller probe. At the end the result is stored, announced and the entry acknowledged
 * and deleted, in one script. An entry the worker could not finish because it is shutting down stays pending,
 * so another worker takes it once it has been idle for the heartbeat timeout.
 */
final class EntryRunner {

	private static final Logger log = LoggerFactory.getLogger(EntryRunner.class);

	/** The direct mode's access log: one line per entry here as one per request there. */
	private static final Logger accessLog = LoggerFactory.getLogger("dev.imagegen.worker.access");

	/** Deliveries an entry may have in all; one more and it is answered instead of run. */
	static final long MAX_DELIVERIES = 3;

	private static final Duration CANCEL_CHECK = Duration.ofSeconds(1);

	// How long the API still waits after the entry's deadline (it subtracted this from its own).
	private static final Duration CALLER_MARGIN = Duration.ofSeconds(2);

	private static final Duration RESULT_RETRY_MAX = Duration.ofSeconds(2);

	// How long the result waits for the progress events before it: they are advisory, and a slow Redis must not
	// hold up the result that the caller waits for near its deadline.
	private static final Duration PROGRESS_WAIT = Duration.ofMillis(300);

	private final WorkStream stream;

	private final Generations generations;

	private final WireFormat format;

	private final Publisher publisher;

	private final ScheduledExecutorService ticks;

	private final ScheduledExecutorService checks;

	private final RedisProperties properties;

	private final RedisStatus status;

	private final RedisMetrics metrics;

	private final ObservationRegistry observations;

	EntryRunner(WorkStream stream, Generations generations, WireFormat format, Publisher publisher,
			ScheduledExecutorService ticks, ScheduledExecutorService checks, RedisProperties properties, RedisStatus status, RedisMetrics metrics,
			ObservationRegistry observations) {
		this.stream = stream;
		this.generations = generations;
		this.format = format;
		this.publisher = publisher;
		this.ticks = ticks;
		this.checks = checks;
		this.properties = properties;
		this.status = status;
		this.metrics = metrics;
		this.observations = observations;
	}

	/**
	 * Runs one entry to its end.
	 * @param reader the loop's connection
	 * @param consumer the loop's consumer name
	 * @param message the entry
	 * @param claimed whether it was taken from a gone worker (then its delivery count is checked)
	 * @param queued called once the entry is in the pool's queue or ended without one
	 * @param stopping whether the worker is shutting down (ends retries of storing the result)
	 */
	void run(WorkStream.Reader reader, String consumer, StreamMessage<String, byte[]> message, boolean claimed,
			Runnable queued, BooleanSupplier stopping) {
		long start = System.nanoTime();
		StreamEntry entry = StreamEntry.of(message.getId(), message.getBody());
		if (claimed) {
			// Rare and worth seeing: a worker stopped without finishing this entry (crash, kill, lost network).
			log.info("Took over work-stream entry {} ({}) from a worker that stopped", entry.id(), entry.requestId());
			this.metrics.entry("claimed");
		}
		if (entry.gen() == null) {
			queued.run();
			log.warn("Work-stream entry {} has no usable gen; dropped unanswered", entry.id());
			this.metrics.entry("failed");
			this.stream.finish(entry.id());
			logEnd(entry, "failed", 0, null, start);
			return;
		}
		// Ours until acknowledged: re-claimed every beat, which resets its idle time.
		ScheduledFuture<?> reclaim = this.ticks.scheduleWithFixedDelay(() -> reclaim(consumer, entry.id()),
				this.properties.beat().toMillis(), this.properties.beat().toMillis(), TimeUnit.MILLISECONDS);
		try {
			Answer answer = answer(entry, claimed, queued);
			queued.run();
			if (answer.outcome().equals("released")) {
				log.info("Work-stream entry {} ({}) left pending for another worker: {}", entry.id(), entry.requestId(),
						answer.failure().getMessage());
				this.metrics.entry("released");
				logEnd(entry, "released", 0, answer.failure(), start);
				return;
			}
			if (answer.fields() != null) {
				store(reader, entry, answer, stopping);
			}
			else {
				this.stream.finish(entry.id());
			}
			this.metrics.entry(answer.outcome());
			logEnd(entry, answer.outcome(), answer.status(), answer.failure(), start);
		}
		finally {
			reclaim.cancel(false);
		}
	}

	/**
	 * One INFO line per entry that ends here, as the direct mode's access line per request: the entry, its request
	 * and trace ids, how it ended and how long it took here (never the prompt: the request's fields stay out).
	 * @param status the result's HTTP status, 0 when no result was stored (cancelled, released, dropped)
	 */
	private static void logEnd(StreamEntry entry, String outcome, int status, WorkerException failure, long start) {
		String requestId = (entry.requestId() != null) ? entry.requestId() : "-";
		String traceId = (entry.traceId() != null) ? entry.traceId() : "-";
		String problem = (failure != null) ? failure.problem().id() : "-";
		long durationMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
		accessLog.atInfo()
			.addKeyValue("requestId", requestId)
			.addKeyValue("traceId", traceId)
			.addKeyValue("entry", entry.id())
			.addKeyValue("outcome", outcome)
			.addKeyValue("status", status)
			.addKeyValue("problem", problem)
			.addKeyValue("durationMs", durationMs)
			.log("requestId={} traceId={} entry={} outcome={} status={} problem={} durationMs={}", requestId, traceId,
					entry.id(), outcome, status, problem, durationMs);
	}

	private Answer answer(StreamEntry entry, boolean claimed, Runnable queued) {
		if (claimed && this.stream.deliveries(entry.id()) > MAX_DELIVERIES) {
			return problem(entry, "failed", new WorkerException(Problem.WORKER_UNAVAILABLE,
					"The generation was started " + MAX_DELIVERIES + " times by workers that stopped before finishing it",
					Duration.ofSeconds(5)));
		}
		if (this.stream.cancelled(entry.gen())) {
			return new Answer("cancelled", null, 0, null);
		}
		Duration remaining;
		try {
			remaining = entry.remaining(System.currentTimeMillis());
		}
		catch (WorkerException invalid) {
			return problem(entry, "failed", invalid);
		}
		if (remaining.isNegative() || remaining.isZero()) {
			return problem(entry, "expired", new WorkerException(Problem.DEADLINE_EXCEEDED,
					"The deadline passed before a worker took the generation"));
		}
		return generate(entry, remaining, queued);
	}

	private Answer generate(StreamEntry entry, Duration remaining, Runnable queued) {
		Observation observation = observation(entry).start();
		CancelWatch watch = new CancelWatch(entry.gen());
		ScheduledFuture<?> watching = this.checks.scheduleWithFixedDelay(watch, CANCEL_CHECK.toMillis(),
				CANCEL_CHECK.toMillis(), TimeUnit.MILLISECONDS);
		try {
			Generations.Generation generation;
			try (Observation.Scope scope = observation.openScope()) {
				generation = this.generations.start(entry.request(), entry.requestId(),
						this.generations.deadline(remaining), JobTrace.of(this.observations), watch::connected,
						(job) -> follow(entry.gen(), job));
			}
			catch (WorkerException refused) {
				return problem(entry, refused);
			}
			queued.run();
			return await(entry, generation, watch);
		}
		finally {
			watching.cancel(false);
			observation.stop();
		}
	}

	private Answer await(StreamEntry entry, Generations.Generation generation, CancelWatch watch) {
		CompletableFuture<Generations.Image> answer = generation.answer();
		try {
			// The deadline is the request's timer in HTTP; here it is this wait.
			return image(answer.get(Math.max(1, generation.job().remaining().toMillis()), TimeUnit.MILLISECONDS));
		}
		catch (TimeoutException ex) {
			generation.deadlinePassed();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			generation.abandon("shutdown");
			return new Answer("released", null, 0, new WorkerException(Problem.SHUTTING_DOWN, "interrupted"));
		}
		catch (ExecutionException | CancellationException ex) {
			// Read below, whatever it was.
		}
		try {
			return image(answer.getNow(null));
		}
		catch (CancellationException ex) {
			if (watch.gone) {
				return new Answer("cancelled", null, 0, null);
			}
			return problem(entry, new WorkerException(Problem.DEADLINE_EXCEEDED, "The job was cancelled"));
		}
		catch (java.util.concurrent.CompletionException ex) {
			Throwable cause = (ex.getCause() != null) ? ex.getCause() : ex;
			WorkerException failure = (cause instanceof WorkerException w) ? w
					: new WorkerException(Problem.INTERNAL_ERROR, "The worker failed unexpectedly; see its log.");
			return problem(entry, failure);
		}
	}

	private Answer image(Generations.Image image) {
		return new Answer("done", this.format.imageResult(image), 200, null);
	}

	private Answer problem(StreamEntry entry, WorkerException failure) {
		return problem(entry, "failed", failure);
	}

	private Answer problem(StreamEntry entry, String outcome, WorkerException failure) {
		if (failure.problem() == Problem.SHUTTING_DOWN) {
			return new Answer("released", null, 0, failure);
		}
		return new Answer(outcome, this.format.problemResult(failure, entry.requestId(), entry.traceId()),
				failure.problem().status().value(), failure);
	}

	/** Publishes the job's progress: the event current now, then every change (handed over, never blocking). */
	private void follow(String gen, Job job) {
		ProgressEvent current = job.watch((event) -> this.publisher.publish(gen, this.format.progress(event)));
		this.publisher.publish(gen, this.format.progress(current));
	}

	/**
	 * Stores the result, announces it, acknowledges and deletes the entry, in one script once the progress
	 * events before it are sent (the {@code result} message ends them). Retried while the caller still waits;
	 * when that fails too, the entry stays pending, and the worker that takes it next answers it (by then with
	 * {@code 504}).
	 */
	private void store(WorkStream.Reader reader, StreamEntry entry, Answer answer, BooleanSupplier stopping) {
		boolean interrupted = false;
		try {
			this.publisher.flush().get(PROGRESS_WAIT.toMillis(), TimeUnit.MILLISECONDS);
		}
		catch (InterruptedException ex) {
			// Set again once the result is stored: with the flag set every Redis call would fail at once.
			interrupted = true;
		}
		catch (ExecutionException | TimeoutException | CancellationException ex) {
			// Progress is advisory: a late or lost event does not hold up the result.
			log.debug("Progress events of {} not all sent before its result: {}", entry.gen(), ex.toString());
		}
		try {
			storeResult(reader, entry, answer, stopping);
		}
		finally {
			if (interrupted) {
				Thread.currentThread().interrupt();
			}
		}
	}

	private void storeResult(WorkStream.Reader reader, StreamEntry entry, Answer answer, BooleanSupplier stopping) {
		long giveUp = ((entry.deadline() != null) ? entry.deadline() : System.currentTimeMillis())
				+ CALLER_MARGIN.toMillis();
		long backoff = 100;
		while (true) {
			try {
				reader.finishWithResult(entry.gen(), entry.id(), answer.fields(), this.format.result(answer.status()));
				this.status.up();
				return;
			}
			catch (RuntimeException ex) {
				this.metrics.error("result");
				this.status.down(ex);
				if (stopping.getAsBoolean() || System.currentTimeMillis() + backoff > giveUp) {
					log.warn("Could not store the result of {} ({}): {}; leaving the entry to the next worker",
							entry.id(), entry.requestId(), ex.toString());
					return;
				}
				pause(backoff);
				backoff = Math.min(backoff * 2, RESULT_RETRY_MAX.toMillis());
			}
		}
	}

	private void reclaim(String consumer, String id) {
		try {
			this.stream.reclaim(consumer, id);
		}
		catch (RuntimeException ex) {
			this.metrics.error("reclaim");
			this.status.down(ex);
		}
	}

	/** The entry's span: a consumer span under the API's trace when the entry carries its {@code traceparent}. */
	private Observation observation(StreamEntry entry) {
		ReceiverContext<Map<String, String>> context = new ReceiverContext<>((carrier, key) -> carrier.get(key),
				Kind.CONSUMER);
		context.setCarrier((entry.traceparent() != null) ? Map.of("traceparent", entry.traceparent()) : Map.of());
		context.setRemoteServiceName("redis");
		return Observation.createNotStarted("imagegen.worker.redis.entry", () -> context, this.observations)
			.contextualName("imagegen redis entry");
	}

	private static void pause(long millis) {
		try {
			Thread.sleep(millis);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	/**
	 * The job's caller probe: {@code P:cancel:{gen}} looked at once a second off the job's threads (the probe is
	 * asked under the job's lock and must not wait for Redis). A failed look changes nothing.
	 */
	private final class CancelWatch implements Runnable {

		private final String gen;

		private volatile boolean gone;

		CancelWatch(String gen) {
			this.gen = gen;
		}

		boolean connected() {
			return !this.gone;
		}

		@Override
		public void run() {
			try {
				if (EntryRunner.this.stream.cancelled(this.gen)) {
					this.gone = true;
				}
			}
			catch (RuntimeException ex) {
				EntryRunner.this.metrics.error("cancel-check");
				EntryRunner.this.status.down(ex);
			}
		}

	}

	/**
	 * How an entry ends.
	 * @param outcome the metric's outcome
	 * @param fields the result to store, or null (cancelled, released)
	 * @param status the result's HTTP status
	 * @param failure the problem, or null
	 */
	private record Answer(String outcome, Map<String, byte[]> fields, int status, WorkerException failure) {
	}

}

package dev.imagegen.worker.browser;

import java.time.Duration;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

import dev.imagegen.worker.config.WorkerProperties;
import dev.imagegen.worker.job.GenerationSpec;
import dev.imagegen.worker.job.Job;
import dev.imagegen.worker.job.JobQueue;
import dev.imagegen.worker.job.JobTrace;
import dev.imagegen.worker.problem.Problem;
import dev.imagegen.worker.problem.WorkerException;

/**
 * The browser sessions and the one bounded queue that feeds them. Sessions start in the background when the
 * application starts (the HTTP server does not wait for them); on shutdown the pool stops taking jobs, lets
 * running ones finish within a grace period, and closes the browsers.
 */
@Component
public class SessionPool implements SmartLifecycle, BrowserSession.SessionEvents {

	private static final Logger log = LoggerFactory.getLogger(SessionPool.class);

	private static final Duration CALLER_WATCH = Duration.ofSeconds(1);

	/**
	 * A call into the browser this far past its budget (a job past its deadline, the warm-up or the idle ping
	 * past theirs) means its session hangs in a frozen browser: the watchdog kills it.
	 */
	static final Duration WATCHDOG_MARGIN = Duration.ofSeconds(5);

	// How long all sessions together may take to close their browsers after the grace period.
	private static final Duration STOP_JOIN = Duration.ofSeconds(10);

	// Used for Retry-After until real generations have been timed.
	private static final Duration INITIAL_GENERATION_ESTIMATE = Duration.ofSeconds(8);

	private final WorkerProperties properties;

	private final SessionMetrics metrics;

	private final JsonMapper json;

	private final JobQueue queue;

	private final List<BrowserSession> sessions = new CopyOnWriteArrayList<>();

	private final List<Thread> threads = new CopyOnWriteArrayList<>();

	private volatile boolean running;

	// Watches the callers of queued jobs, so a disconnected caller frees its queue place at once, and the
	// sessions for a call that hangs in a frozen browser (the watchdog).
	private ScheduledExecutorService callerWatch;

	private volatile boolean draining;

	private final WaitEstimator waits;

	/**
	 * Creates the pool; sessions start with the application context.
	 * @param properties the configuration
	 * @param metrics the meters
	 * @param json the JSON mapper used to read Perchance's answers
	 */
	public SessionPool(WorkerProperties properties, SessionMetrics metrics, JsonMapper json) {
		this.properties = properties;
		this.metrics = metrics;
		this.json = json;
		this.queue = new JobQueue(properties.jobs().queueCapacity());
		this.waits = new WaitEstimator(INITIAL_GENERATION_ESTIMATE, properties.jobs().generationTimeout(), System::nanoTime);
		metrics.queueGauges(this.queue::depth, this.queue.capacity());
		metrics.readySessionsGauge(() -> this.sessions.stream().filter(BrowserSession::canServe).count());
		for (BrowserSession.State state : BrowserSession.State.values()) {
			metrics.sessionsGauge(state.id(), () -> this.sessions.stream().filter((s) -> s.state() == state).count());
		}
		metrics.breakerOpenGauge(() -> this.sessions.stream().filter((s) -> s.breaker().isOpen()).count());
	}

	@Override
	public synchronized void start() {
		if (this.running) {
			return;
		}
		this.draining = false;
		this.queue.open();
		// Before this worker's own sessions create theirs: only folders of dead workers can match.
		StalePlaywrightFolders.forThisProcess().clean();
		// A stopped pool may be started again (e.g. a paused application context): start from fresh sessions.
		this.sessions.clear();
		this.threads.clear();
		for (int i = 0; i < this.properties.browser().sessions(); i++) {
			BrowserSession session = new BrowserSession(i, this.properties, this.queue, this.json, this.metrics, this);
			Thread thread = new Thread(session, "browser-" + session.id());
			thread.setDaemon(true);
			this.sessions.add(session);
			this.threads.add(thread);
			thread.start();
		}
		this.callerWatch = Executors.newSingleThreadScheduledExecutor((r) -> {
			Thread thread = new Thread(r, "caller-watch");
			thread.setDaemon(true);
			return thread;
		});
		this.callerWatch.scheduleWithFixedDelay(this::dropQueuedJobsOfGoneCallers, CALLER_WATCH.toMillis(),
				CALLER_WATCH.toMillis(), TimeUnit.MILLISECONDS);
		this.callerWatch.scheduleWithFixedDelay(this::killFrozenBrowsers, CALLER_WATCH.toMillis(),
				CALLER_WATCH.toMillis(), TimeUnit.MILLISECONDS);
		this.running = true;
		log.info("Started {} browser session(s) ({}), queue capacity {}", this.sessions.size(),
				this.properties.browser().engine().id(), this.queue.capacity());
	}

	/**
	 * Accepts a job or refuses it at once.
	 * @param spec what to generate
	 * @param requestId the caller's request id
	 * @param deadline the job's deadline from now: the caller's remaining budget, at most {@code GENERATION_TIMEOUT}
	 * @param trace the job's trace (docs/operations.md, "Traces"), attached before any session can take the job, so
	 * its queue wait and every step run in it
	 * @param onCreated called with the job before any session can see it (progress tracking starts there, so
	 * no phase goes unreported); a job refused for a full queue is failed, so its progress ends
	 * @return the queued job
	 * @throws WorkerException {@code shutting-down}, {@code upstream-rate-limited}, {@code upstream-challenge},
	 * {@code browser-unavailable} or {@code queue-full}
	 */
	public Job submit(GenerationSpec spec, String requestId, Duration deadline, JobTrace trace,
			Consumer<Job> onCreated) {
		if (this.draining || !this.running) {
			throw new WorkerException(Problem.SHUTTING_DOWN, "The worker is shutting down and takes no new jobs");
		}
		long serving = this.sessions.stream().filter(BrowserSession::canServe).count();
		if (serving == 0) {
			throw noSessionCanServe();
		}
		Job job = new Job(spec, requestId, deadline);
		job.traced(trace);
		if (!this.queue.offer(job, onCreated)) {
			trace.queueWaitEnded();
			WorkerException full = new WorkerException(Problem.QUEUE_FULL,
					"All " + this.queue.capacity() + " queue places are taken; try again later", estimateWait(serving));
			onCreated.accept(job);
			job.fail(full);
			throw full;
		}
		job.result().whenComplete((result, failure) -> {
			if (result != null) {
				this.waits.record(result.generation());
			}
		});
		return job;
	}

	private void dropQueuedJobsOfGoneCallers() {
		try {
			for (Job job : this.queue.snapshot()) {
				if (job.state() == Job.State.QUEUED && job.callerGone() && job.cancel()) {
					this.queue.remove(job);
					jobDropped(job, "caller-gone");
				}
			}
		}
		catch (RuntimeException ex) {
			// Never let the watch die: the next round tries again.
			log.warn("Watching callers failed: {}", ex.toString());
		}
	}

	/**
	 * The watchdog: a session whose call into the browser (a job, the warm-up's key retrieval, the idle ping)
	 * outlived its budget by {@link #WATCHDOG_MARGIN} hangs in a call that will never return (a frozen
	 * renderer). A job's caller has had its 504 at the deadline already; killing the browser makes the hanging
	 * call fail, and the session relaunches as after a crash.
	 */
	private void killFrozenBrowsers() {
		try {
			for (BrowserSession session : this.sessions) {
				String overdue = session.overdueCall(WATCHDOG_MARGIN);
				if (overdue != null) {
					int killed = session.killBrowserProcesses();
					if (killed > 0) {
						log.warn("Session {}: a browser call ({}) outlived its budget by {} s; killed {} browser "
								+ "process(es) to relaunch it", session.id(), overdue, WATCHDOG_MARGIN.toSeconds(), killed);
					}
				}
			}
		}
		catch (RuntimeException ex) {
			log.warn("Watching for frozen browsers failed: {}", ex.toString());
		}
	}

	/**
	 * Forgets a job nobody waits for any more, so it does not hold a queue place.
	 * @param job the job
	 */
	public void forget(Job job) {
		this.queue.remove(job);
	}

	private boolean allPaused() {
		return !this.sessions.isEmpty() && this.sessions.stream().allMatch((s) -> s.breaker().isOpen());
	}

	private WorkerException noSessionCanServe() {
		Optional<Breaker> soonest = Optional.empty();
		if (allPaused()) {
			soonest = this.sessions.stream()
				.map(BrowserSession::breaker)
				.filter(Breaker::isOpen)
				.min(Comparator.comparing(Breaker::remaining));
		}
		if (soonest.isPresent()) {
			Breaker breaker = soonest.get();
			if (breaker.reason() == Breaker.Reason.CHALLENGE) {
				return new WorkerException(Problem.UPSTREAM_CHALLENGE,
						"Perchance challenged this worker; its sessions pause until the challenge window ends",
						breaker.remaining());
			}
			return new WorkerException(Problem.UPSTREAM_RATE_LIMITED,
					"Perchance rate-limited this worker; its sessions pause until the limit window ends",
					breaker.remaining());
		}
		Duration retry = this.sessions.stream()
			.map(BrowserSession::retryIn)
			.filter((d) -> !d.isZero())
			.min(Comparator.naturalOrder())
			.orElse(Duration.ofSeconds(5));
		return new WorkerException(Problem.BROWSER_UNAVAILABLE, "No browser session is ready yet", retry);
	}

	private Duration estimateWait(long serving) {
		return this.waits.estimate(this.queue.depth(), serving);
	}

	@Override
	public void sessionUnavailable(BrowserSession session) {
		// When every session is paused by its breaker (and so none can serve), queued jobs would only run into
		// their deadlines.
		if (allPaused()) {
			WorkerException failure = noSessionCanServe();
			for (Job job : this.queue.drain()) {
				job.fail(failure);
			}
		}
	}

	@Override
	public void jobDropped(Job job, String reason) {
		this.metrics.dropped(reason);
		log.info("Dropped job {} without generating: {}", job.requestId(), reason);
	}

	/**
	 * The state of the sessions and the queue.
	 * @return a snapshot
	 */
	public PoolSnapshot snapshot() {
		List<SessionSnapshot> list = this.sessions.stream().map(BrowserSession::snapshot).toList();
		long serving = list.stream().filter(SessionSnapshot::canServe).count();
		boolean starting = this.sessions.stream().anyMatch(BrowserSession::starting);
		boolean protocolChanged = list.stream().anyMatch(SessionSnapshot::upstreamProtocolChanged);
		String status;
		if (this.draining || !this.running || (serving == 0 && !starting)) {
			status = "DOWN";
		}
		else if (serving == list.size() && !protocolChanged) {
			status = "UP";
		}
		else {
			status = "DEGRADED";
		}
		return new PoolSnapshot(status, list, this.queue.depth(), this.queue.capacity());
	}

	@Override
	public void stop() {
		synchronized (this) {
			if (!this.running) {
				return;
			}
			this.draining = true;
		}
		if (this.callerWatch != null) {
			this.callerWatch.shutdownNow();
		}
		List<Job> queued = this.queue.closeAndDrain();
		for (Job job : queued) {
			this.metrics.dropped("shutdown");
			job.fail(new WorkerException(Problem.SHUTTING_DOWN, "The worker is shutting down"));
		}
		long graceEnd = System.nanoTime() + this.properties.jobs().shutdownGrace().toNanos();
		while (this.sessions.stream().anyMatch(BrowserSession::busy) && System.nanoTime() - graceEnd < 0) {
			try {
				Thread.sleep(100);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				break;
			}
		}
		for (BrowserSession session : this.sessions) {
			Job current = session.current();
			if (current != null) {
				current.fail(new WorkerException(Problem.SHUTTING_DOWN, "The worker stopped before the job finished"));
			}
			session.stop();
		}
		// Every session was told to stop above and closes its browser on its own thread, in parallel: one
		// bound for all of them, not one per session in turn.
		long joinEnd = System.nanoTime() + STOP_JOIN.toNanos();
		for (Thread thread : this.threads) {
			try {
				thread.join(Math.max(1, (joinEnd - System.nanoTime()) / 1_000_000));
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				break;
			}
		}
		this.running = false;
		log.info("Browser sessions stopped");
	}

	@Override
	public boolean isRunning() {
		return this.running;
	}

	/**
	 * The pool as {@code /health} shows it.
	 *
	 * @param status {@code UP}, {@code DEGRADED} or {@code DOWN}
	 * @param sessions the sessions
	 * @param depth jobs waiting
	 * @param capacity queue capacity
	 */
	public record PoolSnapshot(String status, List<SessionSnapshot> sessions, int depth, int capacity) {
	}

}

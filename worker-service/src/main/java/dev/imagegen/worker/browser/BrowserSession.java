package dev.imagegen.worker.browser;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import com.microsoft.playwright.PlaywrightException;
import com.microsoft.playwright.options.Proxy;
import io.micrometer.observation.Observation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import tools.jackson.databind.json.JsonMapper;

import dev.imagegen.worker.config.WorkerProperties;
import dev.imagegen.worker.job.Job;
import dev.imagegen.worker.job.JobQueue;
import dev.imagegen.worker.job.JobTrace;
import dev.imagegen.worker.job.UpstreamImage;
import dev.imagegen.worker.problem.Problem;
import dev.imagegen.worker.problem.WorkerException;

/**
 * One browser identity: a thread that owns one {@code Playwright}, one browser with a persistent profile
 * ({@code <profile-dir>/session-<n>}) and one page on the image-API origin, and runs one job at a time from the
 * shared queue. Playwright objects never leave this thread. A crashed browser is relaunched with backoff and
 * its key obtained again; the job it was running goes back to the queue once.
 */
final class BrowserSession implements Runnable {

	private static final Logger log = LoggerFactory.getLogger(BrowserSession.class);

	private static final long POLL_MILLIS = 200;

	/** How often an idle session makes a Playwright call so that crash and close events arrive. */
	static final Duration IDLE_PING = Duration.ofSeconds(3);

	/**
	 * How long the idle ping ({@code page.evaluate("1")}, a round trip to the renderer that takes milliseconds)
	 * may take before the watchdog counts it as hanging in a frozen renderer; generous for a loaded machine.
	 */
	static final Duration IDLE_PING_BUDGET = Duration.ofSeconds(5);

	/** Life-cycle states as reported on {@code /health}. */
	enum State {

		/** Launching and warming up for the first time. */
		STARTING("starting"),
		/** Able to take a job. */
		READY("ready"),
		/** Running a job. */
		BUSY("busy"),
		/** Relaunching after its browser crashed or disconnected. */
		RESTARTING("restarting"),
		/** Relaunching its browser as planned (recycle-after); queued jobs wait the second or two it takes. */
		RECYCLING("recycling"),
		/** Launch or key verification failed; retrying with backoff. */
		FAILED("failed"),
		/** Stopped for good (shutdown). */
		STOPPED("stopped");

		private final String id;

		State(String id) {
			this.id = id;
		}

		String id() {
			return this.id;
		}

	}

	private final int index;

	private final String id;

	private final WorkerProperties properties;

	private final JobQueue queue;

	private final JsonMapper json;

	private final SessionMetrics metrics;

	private final SessionEvents events;

	private final Breaker breaker;

	private final Path profile;

	private volatile State state = State.STARTING;

	private volatile boolean stopping;

	// Jobs run by the browser launched last; only the session thread touches it.
	private int jobsSinceLaunch;

	private volatile String lastError;

	private volatile Instant lastSuccessAt;

	private volatile Job current;

	// The call into the browser in progress (a job, the warm-up's key retrieval, the idle ping), for the watchdog.
	private volatile Call call;

	private volatile PerchanceClient client;

	private volatile boolean browserClosed;

	private volatile long retryAtNanos;

	// Session thread only.
	private long lastPingNanos;

	private Playwright playwright;

	private BrowserContext context;

	private Page page;

	BrowserSession(int index, WorkerProperties properties, JobQueue queue, JsonMapper json, SessionMetrics metrics,
			SessionEvents events) {
		this.index = index;
		this.id = "session-" + index;
		this.properties = properties;
		this.queue = queue;
		this.json = json;
		this.metrics = metrics;
		this.events = events;
		this.profile = properties.browser().profileDir().resolve(this.id);
		this.breaker = new Breaker(properties.breaker().firstOpenDuration(), properties.breaker().openDuration());
	}

	String id() {
		return this.id;
	}

	/** The session's state now, for the per-state gauges. */
	State state() {
		return this.state;
	}

	Breaker breaker() {
		return this.breaker;
	}

	/** Whether this session can take a job now (half-open breakers included: the next job is the trial). */
	boolean canServe() {
		State s = this.state;
		return (s == State.READY || s == State.BUSY || s == State.RECYCLING) && !this.breaker.isOpen();
	}

	/** Whether this session is still coming up (not yet failed). */
	boolean starting() {
		return this.state == State.STARTING || this.state == State.RESTARTING;
	}

	boolean busy() {
		return this.current != null;
	}

	Job current() {
		return this.current;
	}

	/** Time until the next launch attempt, zero when none is scheduled. */
	Duration retryIn() {
		long left = this.retryAtNanos - System.nanoTime();
		return (left > 0) ? Duration.ofNanos(left) : Duration.ZERO;
	}

	void stop() {
		this.stopping = true;
	}

	/**
	 * The call in progress when it has outlived its budget by more than {@code margin}: a job past its deadline,
	 * the warm-up's key retrieval past its span, the idle ping past {@link #IDLE_PING_BUDGET}. Every step's
	 * timeout is cut to its budget, so a healthy session is back well before that; only a call into a frozen
	 * browser ({@code page.evaluate} has no timeout of its own, and a stopped renderer never runs the in-page
	 * timer) gets here.
	 * @return what the overdue call is doing, or null when no call is overdue
	 */
	String overdueCall(Duration margin) {
		Call c = this.call;
		return (c != null && c.overdue(System.nanoTime(), margin)) ? c.what() : null;
	}

	/**
	 * Kills this session's browser processes (found by the profile folder on their command line), so that the
	 * call hanging in it fails and the session thread relaunches the browser as after a crash. Called by the
	 * pool's watchdog thread; it touches only operating-system processes, never a Playwright object.
	 * @return how many processes were killed
	 */
	int killBrowserProcesses() {
		String flag = "--user-data-dir=" + this.profile;
		List<ProcessHandle> browsers = ProcessHandle.current()
			.descendants()
			.filter((p) -> p.info().commandLine().map((c) -> List.of(c.split(" ")).contains(flag)).orElse(false))
			.toList();
		int killed = 0;
		for (ProcessHandle browser : browsers) {
			for (ProcessHandle child : browser.descendants().toList()) {
				killed += child.destroyForcibly() ? 1 : 0;
			}
			killed += browser.destroyForcibly() ? 1 : 0;
		}
		return killed;
	}

	SessionSnapshot snapshot() {
		PerchanceClient c = this.client;
		Duration keyAge = (c != null) ? c.keyAge() : null;
		Duration breakerLeft = this.breaker.remaining();
		Breaker.Reason reason = this.breaker.reason();
		return new SessionSnapshot(this.id, this.state.id(), (keyAge != null) ? keyAge.toSeconds() : null,
				this.lastSuccessAt, this.lastError,
				new SessionSnapshot.BreakerSnapshot(this.breaker.state(),
						(reason != null) ? reason.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-') : null,
						breakerLeft.isZero() ? null : (breakerLeft.toMillis() + 999) / 1000),
				(c != null) && c.protocolChanged(), canServe());
	}

	@Override
	public void run() {
		MDC.put("session", this.id);
		int failures = 0;
		try {
			while (!this.stopping) {
				try {
					if (this.page != null && this.browserClosed) {
						throw new BrowserCrashedException("the browser closed while idle");
					}
					if (this.page == null) {
						if (this.state != State.RECYCLING) {
							this.state = (failures == 0 && this.state == State.STARTING) ? State.STARTING : State.RESTARTING;
						}
						launch();
					}
					if (!this.client.hasKey()) {
						if (this.breaker.isOpen()) {
							// No key yet and paused by the breaker: stay "failed" until the window ends.
							pause();
							continue;
						}
						Duration warmUp = this.properties.perchance().stepTimeout();
						PerchanceClient warming = this.client;
						timed("the warm-up's key retrieval", warmUp, () -> warming.obtainKey(Budget.of(warmUp)));
						this.lastError = null;
						failures = 0;
						this.state = State.READY;
						log.info("Session {} is ready", this.id);
					}
					if (this.breaker.isOpen()) {
						this.state = State.READY;
						pause();
						continue;
					}
					if (recycleDue()) {
						continue;
					}
					Job job = this.queue.poll(POLL_MILLIS);
					if (job != null) {
						runJob(job);
						this.jobsSinceLaunch++;
						this.lastPingNanos = System.nanoTime();
					}
					else {
						pingWhileIdle();
					}
				}
				catch (BrowserCrashedException ex) {
					failures++;
					recover("the browser crashed or disconnected: " + ex.getMessage(), ex, failures, State.RESTARTING);
				}
				catch (WorkerException ex) {
					// Launch or key failure outside a job (rate limit and challenge opened the breaker already).
					failures++;
					this.lastError = ex.problem().id() + ": " + ex.getMessage();
					log.warn("Session {}: {}", this.id, this.lastError);
					this.state = State.FAILED;
					this.events.sessionUnavailable(this);
					if (!this.breaker.isOpen()) {
						backoff(failures);
					}
				}
				catch (PlaywrightException ex) {
					failures++;
					recover(ex.getMessage(), ex, failures, State.FAILED);
				}
				catch (RuntimeException ex) {
					// Never let the session thread die: start over with a fresh browser.
					failures++;
					recover(ex.toString(), ex, failures, State.FAILED);
				}
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		finally {
			closeBrowser();
			this.state = State.STOPPED;
			MDC.remove("session");
		}
	}

	/**
	 * Relaunches the browser between two jobs once it has run {@code recycle-after} of them: the browser
	 * process grows slowly with every generation (see docs/benchmarks.md), and a planned relaunch, which
	 * keeps the profile and so the key, costs a second or two instead of an out-of-memory kill later.
	 */
	private boolean recycleDue() {
		int recycleAfter = this.properties.browser().recycleAfter();
		if (recycleAfter <= 0 || this.jobsSinceLaunch < recycleAfter) {
			return false;
		}
		log.info("Session {}: relaunching the browser after {} jobs to give its memory back", this.id,
				this.jobsSinceLaunch);
		closeBrowser();
		this.state = State.RECYCLING;
		this.metrics.browserRestart(this.id, "recycle");
		return true;
	}

	/**
	 * playwright-java reads its connection to the driver only while a call is in progress, so the close and
	 * crash events of a browser that dies while the session is idle would wait for the next job (which then
	 * fails on it) while {@code /health} says ready. A cheap call every few seconds lets them in; the next round
	 * of the loop then relaunches.
	 */
	private void pingWhileIdle() {
		long now = System.nanoTime();
		if (this.page == null || now - this.lastPingNanos < IDLE_PING.toNanos()) {
			return;
		}
		this.lastPingNanos = now;
		try {
			// A round trip to the renderer, not only to the browser process: a renderer frozen while idle then
			// hangs this call, and the watchdog sees it past its budget instead of the next job finding it.
			timed("the idle ping", IDLE_PING_BUDGET, () -> this.page.evaluate("1"));
		}
		catch (PlaywrightException ex) {
			this.browserClosed = true;
		}
	}

	/** Runs a call into the browser that the watchdog times against {@code budget}. */
	private void timed(String what, Duration budget, Runnable work) {
		this.call = new Call(what, System.nanoTime(), budget);
		try {
			work.run();
		}
		finally {
			this.call = null;
		}
	}

	private void pause() throws InterruptedException {
		Duration left = this.breaker.remaining();
		Thread.sleep(Math.max(10, Math.min(POLL_MILLIS, left.toMillis())));
	}

	private void recover(String reason, Throwable cause, int failures, State next) throws InterruptedException {
		String message = BrowserFailures.summary(reason, this.properties.browser().profileDir());
		this.lastError = "browser: " + message;
		// The log keeps everything (Playwright's message spans lines: browser logs, call log, stack).
		log.warn("Session {}: {}; relaunching", this.id, message, cause);
		closeBrowser();
		this.state = next;
		this.metrics.browserRestart(this.id, "failure");
		this.events.sessionUnavailable(this);
		backoff(failures);
	}

	private void backoff(int failures) throws InterruptedException {
		WorkerProperties.Browser browser = this.properties.browser();
		long millis = browser.relaunchBackoffMin().toMillis() << Math.min(Math.max(failures - 1, 0), 16);
		millis = Math.min(millis, browser.relaunchBackoffMax().toMillis());
		this.retryAtNanos = System.nanoTime() + Duration.ofMillis(millis).toNanos();
		long until = this.retryAtNanos;
		while (!this.stopping && System.nanoTime() - until < 0) {
			Thread.sleep(Math.min(POLL_MILLIS, Math.max(1, (until - System.nanoTime()) / 1_000_000)));
		}
	}

	private void launch() {
		WorkerProperties.Browser browser = this.properties.browser();
		Map<String, String> env = new HashMap<>();
		if (browser.executable() != null) {
			// A system browser is used: Playwright must not try to download its own.
			env.put("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
		}
		try {
			Files.createDirectories(this.profile);
		}
		catch (java.io.IOException ex) {
			log.error("Session {}: cannot create the profile directory {}", this.id, this.profile, ex);
			throw new WorkerException(Problem.BROWSER_UNAVAILABLE,
					"Cannot create the browser profile directory (BROWSER_PROFILE_DIR); see the worker log");
		}
		this.browserClosed = false;
		try {
			start(browser, env);
		}
		catch (RuntimeException ex) {
			closeBrowser();
			throw ex;
		}
	}

	private void start(WorkerProperties.Browser browser, Map<String, String> env) {
		this.playwright = Playwright.create(new Playwright.CreateOptions().setEnv(env));
		BrowserType type = switch (browser.engine()) {
			case CHROMIUM -> this.playwright.chromium();
			case WEBKIT -> this.playwright.webkit();
			case FIREFOX -> this.playwright.firefox();
		};
		BrowserType.LaunchPersistentContextOptions options = new BrowserType.LaunchPersistentContextOptions()
			.setHeadless(browser.headless())
			.setArgs(browser.args());
		if (browser.executable() != null) {
			options.setExecutablePath(browser.executable());
		}
		String proxy = browser.proxyFor(this.index);
		if (proxy != null) {
			options.setProxy(new Proxy(proxy));
		}
		log.info("Session {}: launching {} with profile {}{}", this.id, browser.engine().id(), this.profile,
				(proxy != null) ? " via proxy" : "");
		this.context = type.launchPersistentContext(this.profile, options);
		this.context.onClose((c) -> this.browserClosed = true);
		this.page = this.context.pages().isEmpty() ? this.context.newPage() : this.context.pages().get(0);
		this.page.onCrash((p) -> this.browserClosed = true);
		long navigationMillis = this.properties.perchance().stepTimeout().toMillis();
		this.page.setDefaultNavigationTimeout(navigationMillis);
		this.page.setDefaultTimeout(navigationMillis);
		// Upstream calls become steps of the current job's trace (docs/operations.md, "Traces").
		Transport transport = new ObservedTransport(new PageTransport(this.page), this::currentTrace);
		PerchanceClient fresh = new PerchanceClient(this.page, transport, this.properties, this.json, this.metrics,
				this.breaker, this.id);
		fresh.openPages();
		this.client = fresh;
	}

	private JobTrace currentTrace() {
		Job job = this.current;
		return (job != null) ? job.trace() : JobTrace.NONE;
	}

	private void runJob(Job job) {
		if (job.callerGone() && job.cancel()) {
			// Nobody would receive the image: do not spend a generation on it.
			this.events.jobDropped(job, "caller-gone");
			return;
		}
		if (!job.start()) {
			return;
		}
		if (job.expired()) {
			// Its deadline passed while it waited: answer without touching Perchance.
			this.events.jobDropped(job, "deadline");
			job.fail(new WorkerException(Problem.DEADLINE_EXCEEDED, "The job's deadline passed while it waited in the queue"));
			return;
		}
		this.metrics.queueWait(job.queueWait());
		job.trace().queueWaitEnded();
		MDC.put("requestId", job.requestId());
		this.call = new Call("a job", System.nanoTime(), job.remaining());
		this.current = job;
		this.state = State.BUSY;
		try (Observation.Scope traced = job.trace().openScope()) {
			Budget budget = Budget.of(job);
			if (this.client.hasOrphanedGeneration()) {
				// Waiting for an earlier generation of the key is part of the generate call's phase.
				job.phase(dev.imagegen.worker.job.Phase.GENERATING);
				// Settled inside this job's deadline, not before taking it: queued jobs never age past
				// their deadlines behind a wait nobody counted.
				this.client.settleOrphanedGeneration(budget);
			}
			UpstreamImage image = this.client.generate(job.spec(), budget, job);
			this.lastSuccessAt = Instant.now();
			this.lastError = null;
			job.succeed(image);
		}
		catch (Budget.JobAbandonedException ex) {
			this.events.jobDropped(job, job.expired() ? "deadline" : "caller-gone");
		}
		catch (WorkerException ex) {
			this.lastError = ex.problem().id() + ": " + ex.getMessage();
			job.fail(ex);
			if (this.breaker.isOpen()) {
				this.events.sessionUnavailable(this);
			}
		}
		catch (PlaywrightException ex) {
			if (browserDead()) {
				handBack(job);
				throw new BrowserCrashedException(ex.getMessage());
			}
			this.lastError = "browser: " + BrowserFailures.summary(ex.getMessage(), this.properties.browser().profileDir());
			if (job.expired()) {
				job.fail(new WorkerException(Problem.DEADLINE_EXCEEDED, "The job's deadline passed in the browser"));
				return;
			}
			log.warn("Session {}: browser call failed", this.id, ex);
			job.fail(new WorkerException(Problem.UPSTREAM_FAILURE, "The browser failed while talking to Perchance"));
		}
		catch (RuntimeException ex) {
			log.error("Session {}: job failed unexpectedly", this.id, ex);
			this.lastError = "internal: " + ex.getClass().getSimpleName();
			job.fail(new WorkerException(Problem.INTERNAL_ERROR, "The worker failed unexpectedly"));
		}
		finally {
			MDC.remove("requestId");
			this.call = null;
			this.current = null;
			if (this.state == State.BUSY) {
				this.state = State.READY;
			}
		}
	}

	private void handBack(Job job) {
		if (job.requeueOnce()) {
			if (this.queue.requeueFirst(job)) {
				log.warn("Session {}: browser died during a job; handing it back to the queue once", this.id);
			}
			else {
				// The pool is stopping and has drained the queue already: answer now, or nobody ever will.
				job.fail(new WorkerException(Problem.SHUTTING_DOWN, "The worker is shutting down"));
			}
		}
		else {
			job.fail(new WorkerException(Problem.BROWSER_UNAVAILABLE, "The browser died twice while running this job",
					Duration.ofSeconds(5)));
		}
	}

	private boolean browserDead() {
		if (this.browserClosed || this.page == null || this.page.isClosed()) {
			return true;
		}
		try {
			this.page.evaluate("1");
			return false;
		}
		catch (PlaywrightException ex) {
			return true;
		}
	}

	private void closeBrowser() {
		this.client = null;
		this.jobsSinceLaunch = 0;
		if (this.context != null) {
			try {
				this.context.close();
			}
			catch (RuntimeException ex) {
				log.debug("Session {}: closing the context failed: {}", this.id, ex.getMessage());
			}
		}
		if (this.playwright != null) {
			try {
				this.playwright.close();
			}
			catch (RuntimeException ex) {
				log.debug("Session {}: closing Playwright failed: {}", this.id, ex.getMessage());
			}
		}
		this.context = null;
		this.page = null;
		this.playwright = null;
	}

	/**
	 * A call into the browser in progress, as the watchdog times it.
	 * @param what what the session is doing, for the watchdog's log line
	 * @param sinceNanos when it started ({@code System.nanoTime()})
	 * @param budget how long it may take: every step inside is cut to it
	 */
	private record Call(String what, long sinceNanos, Duration budget) {

		boolean overdue(long nowNanos, Duration margin) {
			return nowNanos - this.sinceNanos - this.budget.toNanos() - margin.toNanos() >= 0;
		}

	}

	/** The browser process went away under a running call. */
	static final class BrowserCrashedException extends RuntimeException {

		BrowserCrashedException(String message) {
			super(message);
		}

	}

	/** What a session tells its pool. */
	interface SessionEvents {

		void sessionUnavailable(BrowserSession session);

		void jobDropped(Job job, String reason);

	}

}

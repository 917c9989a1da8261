package dev.imagegen.worker.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.micrometer.observation.ObservationRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.context.SmartLifecycle;
import org.springframework.core.env.Environment;

import dev.imagegen.worker.browser.SessionPool;
import dev.imagegen.worker.config.WorkerProperties;
import dev.imagegen.worker.generate.Generations;
import dev.imagegen.worker.health.WorkerHealth;

/**
 * The worker side of the Redis mode (docs/architecture.md, "Scale-out on Redis"): the heartbeat and one
 * {@link PullLoop} per browser session. It depends on the {@link SessionPool}, so it starts after the sessions
 * and stops before them: on shutdown it stops reading new entries first, lets the loops finish the entries they
 * run (within {@code jobs.shutdown-grace}), then deletes the heartbeat; the pool then drains as it always does.
 * An entry still running when the pool stops stays pending for another worker.
 */
final class RedisWorker implements SmartLifecycle {

	private static final Logger log = LoggerFactory.getLogger(RedisWorker.class);

	private final SessionPool pool;

	private final Generations generations;

	private final WorkerHealth health;

	private final WorkStream stream;

	private final RedisProperties properties;

	private final WorkerProperties worker;

	private final RedisStatus status;

	private final RedisMetrics metrics;

	private final JsonMapper json;

	private final ObservationRegistry observations;

	private final Environment environment;

	private final Object signal = new Object();

	private volatile boolean running;

	private volatile boolean stopping;

	private volatile String workerId;

	private ScheduledExecutorService ticks;

	private ScheduledExecutorService checks;

	private Publisher publisher;

	private Heartbeat heartbeat;

	private ScheduledFuture<?> beating;

	private final List<Thread> loops = new ArrayList<>();

	RedisWorker(SessionPool pool, Generations generations, WorkerHealth health, WorkStream stream,
			RedisProperties properties, WorkerProperties worker, RedisStatus status, RedisMetrics metrics,
			JsonMapper json, ObservationRegistry observations, Environment environment) {
		this.pool = pool;
		this.generations = generations;
		this.health = health;
		this.stream = stream;
		this.properties = properties;
		this.worker = worker;
		this.status = status;
		this.metrics = metrics;
		this.json = json;
		this.observations = observations;
		this.environment = environment;
	}

	/**
	 * This worker's id in Redis, set at start.
	 * @return the id, or null before the start
	 */
	String workerId() {
		return this.workerId;
	}

	@Override
	public synchronized void start() {
		if (this.running) {
			return;
		}
		this.stopping = false;
		// The web server has started (a lower phase), so its real port is known, also for a random one.
		int port = this.environment.getProperty("local.server.port", Integer.class,
				this.environment.getProperty("server.port", Integer.class, 8081));
		this.workerId = WorkerId.create(port);
		AtomicInteger threads = new AtomicInteger();
		// Liveness (the heartbeat and the re-claims of running entries) has threads of its own: the cancel checks,
		// once a second per running entry, each up to the 2 s command timeout when Redis is slow, must not delay a
		// beat past WORKER_HEARTBEAT_TIMEOUT, or other workers would take entries that are still running.
		this.ticks = Executors.newScheduledThreadPool(2, (runnable) -> {
			Thread thread = new Thread(runnable, "redis-ticks-" + threads.incrementAndGet());
			thread.setDaemon(true);
			return thread;
		});
		this.checks = Executors.newSingleThreadScheduledExecutor((runnable) -> {
			Thread thread = new Thread(runnable, "redis-cancel-checks");
			thread.setDaemon(true);
			return thread;
		});
		this.publisher = new Publisher(this.stream, this.metrics);
		this.heartbeat = new Heartbeat(this.workerId, this.stream, this.health, this.json, this.status, this.metrics);
		this.beating = this.ticks.scheduleWithFixedDelay(this.heartbeat, 0, this.properties.beat().toMillis(),
				TimeUnit.MILLISECONDS);
		WireFormat format = new WireFormat(this.json, this.workerId);
		EntryRunner runner = new EntryRunner(this.stream, this.generations, format, this.publisher, this.ticks,
				this.checks, this.properties, this.status, this.metrics, this.observations);
		FreeSessions free = new FreeSessions(this.pool);
		this.loops.clear();
		for (int i = 0; i < this.worker.browser().sessions(); i++) {
			PullLoop loop = new PullLoop(this.workerId + ":session-" + i, this.stream, free, runner, this.status,
					this.metrics, () -> this.stopping, this.signal);
			Thread thread = new Thread(loop, "redis-pull-" + i);
			thread.setDaemon(true);
			this.loops.add(thread);
			thread.start();
		}
		this.running = true;
		log.info("Redis mode: worker {} pulls from {} with {} loop(s), heartbeat every {} ms", this.workerId,
				this.properties.key("work"), this.loops.size(), this.properties.beat().toMillis());
	}

	@Override
	public void stop() {
		synchronized (this) {
			if (!this.running) {
				return;
			}
			this.stopping = true;
		}
		synchronized (this.signal) {
			this.signal.notifyAll();
		}
		// A read in flight returns within its BLOCK; an entry it brings runs like the others, within the grace.
		long end = System.nanoTime() + this.worker.jobs().shutdownGrace().plus(WorkStream.BLOCK).toNanos();
		for (Thread loop : this.loops) {
			try {
				loop.join(Math.max(1, Duration.ofNanos(end - System.nanoTime()).toMillis()));
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				break;
			}
		}
		long busy = this.loops.stream().filter(Thread::isAlive).count();
		if (busy > 0) {
			log.warn("{} pull loop(s) still busy after the shutdown grace; an entry they hold stays pending for "
					+ "another worker", busy);
		}
		this.beating.cancel(false);
		this.ticks.shutdownNow();
		this.checks.shutdownNow();
		this.heartbeat.delete();
		this.publisher.close();
		// A restart connects anew, to the connection factory's client of then.
		this.stream.close();
		this.running = false;
		log.info("Redis mode: worker {} stopped pulling and deleted its heartbeat", this.workerId);
	}

	@Override
	public boolean isRunning() {
		return this.running;
	}

}

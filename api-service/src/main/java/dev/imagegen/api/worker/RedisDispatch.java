package dev.imagegen.api.worker;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import io.micrometer.context.ContextSnapshot;
import io.micrometer.context.ContextSnapshotFactory;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.util.context.ContextView;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import dev.imagegen.api.config.ApiProperties;
import dev.imagegen.api.problem.ApiProblem;
import dev.imagegen.api.problem.ProblemTypes;
import dev.imagegen.api.redis.RedisModeEnvironment;
import dev.imagegen.api.redis.RedisProperties;
import dev.imagegen.api.redis.RedisUnavailable;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.data.redis.connection.ReactiveRedisConnectionFactory;
import org.springframework.data.redis.connection.ReactiveSubscription;
import org.springframework.data.redis.core.ReactiveRedisTemplate;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.data.redis.listener.ChannelTopic;
import org.springframework.data.redis.listener.ReactiveRedisMessageListenerContainer;
import org.springframework.data.redis.serializer.RedisSerializationContext;
import org.springframework.data.redis.serializer.RedisSerializer;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;

/**
 * Redis mode: the dispatch through the shared work stream, exactly as docs/architecture.md "Scale-out on Redis" fixes
 * the wire. Per generation: a fresh {@code gen}; {@code SUBSCRIBE P:events:{gen}} (one listener container, one
 * pub/sub connection for the whole API) and, at the same time, the entry is added to {@code P:work} by a script that
 * refuses when the stream already holds {@code QUEUE_CAPACITY} × live sessions; progress messages go to the caller's
 * listener; the {@code result} message, and a read of {@code P:result:{gen}} once subscribed and added and every
 * 5 s (so a lost message costs at most that), end the wait, mapped by the direct mode's rules
 * ({@link WorkerAnswers}). A fixed-seed request shares one generation across replicas
 * ({@code P:flight:{fingerprint}}). A caller that leaves sets {@code P:cancel:{gen}}. Nothing waits past
 * {@code WORKER_TIMEOUT} ({@code 504 deadline-exceeded}), and any Redis failure is {@code 503 queue-unavailable}.
 */
@Component
@ConditionalOnBooleanProperty(RedisModeEnvironment.ENABLED)
public class RedisDispatch implements WorkerDispatch, DisposableBean {

	private static final Logger logger = LoggerFactory.getLogger(RedisDispatch.class);

	/** The stream's consumer group (docs/architecture.md). */
	static final String GROUP = "workers";

	/** The longest a lost {@code result} message delays the answer. */
	static final Duration RESULT_POLL = Duration.ofSeconds(5);

	/** What the add script answers instead of an entry id when the backlog is at its bound. */
	private static final String FULL = "full";

	/**
	 * Adds an entry unless the stream holds {@code ARGV[1]} entries already: count and add in one atomic step, so
	 * that no count kept elsewhere can drift when a process dies. Creates the group when nobody has yet (the worker
	 * does the same; {@code BUSYGROUP} is ignored).
	 */
	private static final RedisScript<String> ADD = RedisScript.of("""
			redis.pcall('XGROUP', 'CREATE', KEYS[1], ARGV[2], '0', 'MKSTREAM')
			if redis.call('XLEN', KEYS[1]) >= tonumber(ARGV[1]) then
				return 'full'
			end
			return redis.call('XADD', KEYS[1], '*', unpack(ARGV, 3))
			""", String.class);

	/** Deletes a flight key only while it still names this generation (a later flight may own it by now). */
	private static final RedisScript<Long> RELEASE = RedisScript.of("""
			if redis.call('GET', KEYS[1]) == ARGV[1] then
				return redis.call('DEL', KEYS[1])
			end
			return 0
			""", Long.class);

	private final SecureRandom random = new SecureRandom();

	private final ReactiveRedisConnectionFactory connections;

	private final ReactiveStringRedisTemplate redis;

	/** For the result hash, whose {@code image} field is raw bytes. */
	private final ReactiveRedisTemplate<String, byte[]> binary;

	private final RedisProperties properties;

	private final LiveWorkers liveWorkers;

	private final WorkerAnswers answers;

	private final JsonMapper jsonMapper;

	private final ApiProperties.Worker settings;

	private final Duration redisTimeout;

	private final ObjectProvider<Tracer> tracer;

	private final ObjectProvider<Propagator> propagator;

	private final ContextSnapshotFactory snapshots = ContextSnapshotFactory.builder().build();

	private final MeterRegistry meters;

	private final Meter.MeterProvider<Timer> dispatchTimers;

	private final Counter queueFull;

	private final Counter flightJoins;

	/** Created on first use, off the event loop: creating it connects, and Redis may be down at start-up. */
	private final Mono<ReactiveRedisMessageListenerContainer> container;

	private final List<ReactiveRedisMessageListenerContainer> containers = new CopyOnWriteArrayList<>();

	RedisDispatch(ReactiveRedisConnectionFactory connections, ReactiveStringRedisTemplate redis,
			RedisProperties properties, LiveWorkers liveWorkers, ApiProperties apiProperties, JsonMapper jsonMapper,
			RedisCommandTimeout redisTimeout, ObjectProvider<Tracer> tracer, ObjectProvider<Propagator> propagator,
			MeterRegistry meters) {
		this.connections = connections;
		this.redis = redis;
		this.binary = new ReactiveRedisTemplate<>(connections,
				RedisSerializationContext.<String, byte[]>newSerializationContext(RedisSerializer.string())
					.value(RedisSerializer.byteArray())
					.hashKey(RedisSerializer.string())
					.hashValue(RedisSerializer.byteArray())
					.build());
		this.properties = properties;
		this.liveWorkers = liveWorkers;
		this.settings = apiProperties.worker();
		this.answers = new WorkerAnswers(jsonMapper, this.settings.retryAfter());
		this.jsonMapper = jsonMapper;
		this.redisTimeout = redisTimeout.duration();
		this.tracer = tracer;
		this.propagator = propagator;
		this.meters = meters;
		this.dispatchTimers = Timer.builder("imagegen.redis.dispatch")
			.description("Generations dispatched through the Redis work stream, from the request to its answer")
			.withRegistry(meters);
		this.queueFull = Counter.builder("imagegen.redis.queue.full")
			.description("Generations refused because the work stream held QUEUE_CAPACITY entries per live session")
			.register(meters);
		this.flightJoins = Counter.builder("imagegen.redis.flight.joins")
			.description("Fixed-seed requests that waited on a generation another replica (or request) had started")
			.register(meters);
		// One creation at a time, shared by everyone who asks meanwhile; each asker waits at most the command
		// timeout. (A timeout inside the cache would let a slow creation finish uncached, and every retry during an
		// outage would add another container with its connection.)
		this.container = Mono.fromCallable(this::newContainer)
			.subscribeOn(Schedulers.boundedElastic())
			.cache((created) -> Duration.ofMillis(Long.MAX_VALUE), (failure) -> Duration.ZERO, () -> Duration.ZERO)
			.timeout(this.redisTimeout);
	}

	private ReactiveRedisMessageListenerContainer newContainer() {
		ReactiveRedisMessageListenerContainer created = new ReactiveRedisMessageListenerContainer(this.connections);
		this.containers.add(created);
		return created;
	}

	/**
	 * Always: in the Redis mode the workers come and go through Redis, and {@code PERCHANCE_WORKER_URL} is not used.
	 * @return {@code true}
	 */
	@Override
	public boolean configured() {
		return true;
	}

	/**
	 * Not used ({@link #configured()} is always {@code true}); the answer for "no worker" in this mode.
	 * @return a 503 {@code worker-unavailable}
	 */
	@Override
	public ApiProblem notConfigured() {
		return noWorker();
	}

	@Override
	public Mono<WorkerImage> generate(WorkerRequest request, MediaType expected, String requestId,
			Consumer<String> onWorker, ProgressListener progress, String fingerprint) {
		return Mono.deferContextual((context) -> {
			Generation generation = new Generation(this.jsonMapper.writeValueAsString(request), expected, requestId,
					onWorker, progress, fingerprint, traceparent(context));
			Timer.Sample sample = Timer.start(this.meters);
			return this.liveWorkers.sessions()
				.flatMap((sessions) -> (sessions == 0) ? Mono.error(noWorker())
						: dispatch(generation, (long) sessions * this.properties.queueCapacity()))
				.timeout(this.settings.timeout(), Mono.error(RedisDispatch::deadlineExceeded))
				.onErrorMap((failure) -> !(failure instanceof ApiProblem), (failure) -> {
					logger.warn("Redis failed during generation of request {}: {}", requestId, describe(failure));
					return RedisUnavailable.problem();
				})
				.doOnSuccess((image) -> sample.stop(timer("success")))
				.doOnError((failure) -> sample.stop(timer(ProblemTypes.shortName(((ApiProblem) failure).type()))))
				.doOnCancel(() -> {
					sample.stop(timer("cancelled"));
					generation.cancelled();
				})
				.doFinally((signal) -> generation.ended())
				// Subscribed off the event loop: until Lettuce has connected once (Redis down at start-up), the first
				// command of Spring Data Redis's shared connection connects blocking, for up to the connect timeout.
				.subscribeOn(Schedulers.boundedElastic())
				// Off Lettuce's I/O threads: what follows (the cache, the response) must not hold up Redis traffic.
				.publishOn(Schedulers.parallel());
		});
	}

	private Timer timer(String outcome) {
		return this.dispatchTimers.withTags("outcome", outcome);
	}

	/** Random seed or fresh: a generation of its own. Fixed seed: the one in flight anywhere, or a new one. */
	private Mono<WorkerImage> dispatch(Generation generation, long capacity) {
		if (generation.fingerprint == null) {
			return run(generation, newGen(), true, capacity);
		}
		String gen = newGen();
		String flight = this.properties.key("flight", generation.fingerprint);
		return this.redis.opsForValue()
			.setIfAbsent(flight, gen, generation.untilDeadline())
			.timeout(this.redisTimeout)
			.flatMap((won) -> {
				if (won) {
					generation.flightOwned(gen);
					return run(generation, gen, true, capacity);
				}
				return this.redis.opsForValue().get(flight).timeout(this.redisTimeout).flatMap((other) -> {
					this.flightJoins.increment();
					return run(generation, other, false, capacity);
				})
					// Gone between SET NX and GET: the flight ended; try again.
					.switchIfEmpty(Mono.defer(() -> dispatch(generation, capacity)));
			})
			// The flight this request waited on ended without a result (its owner gave up): take over.
			.onErrorResume(FlightLost.class, (lost) -> dispatch(generation, capacity));
	}

	/**
	 * Waits for one generation's result. When this request adds the entry, the add goes out together with the
	 * {@code SUBSCRIBE} (a round trip less per generation) and the hash is read first once both are done: a
	 * {@code result} published before the subscription took effect is then in the hash already (the worker stores it
	 * before it publishes). The hash is also read on every {@code result} message and every {@link #RESULT_POLL}.
	 */
	private Mono<WorkerImage> run(Generation generation, String gen, boolean adds, long capacity) {
		ChannelTopic channel = ChannelTopic.of(this.properties.key("events", gen));
		generation.waitingOn(gen);
		return Mono.defer(() -> {
			Mono<Void> added = adds ? add(generation, gen, capacity).cache() : Mono.empty();
			Mono<Flux<ReactiveSubscription.Message<String, String>>> subscribed = this.container
				.flatMap((listeners) -> listeners.receiveLater(channel).timeout(this.redisTimeout));
			if (adds) {
				// Sent now; its outcome is taken below (cached). Failures are not lost: they end the wait there, or,
				// when the subscription fails first, the entry is withdrawn.
				added.subscribe(null, (failure) -> {
				});
			}
			// A subscription that failed leaves nobody to wait for an entry already added: the worker must not run it.
			return subscribed.doOnError((failure) -> generation.cancelled()).flatMap((messages) -> {
				Flux<String> resultMessages = messages
					.concatMap((message) -> Mono.justOrEmpty(onMessage(generation, message)));
				Flux<Object> polls = added.then(Mono.fromRunnable(generation::dispatched))
					.thenMany(Flux.interval(Duration.ZERO, RESULT_POLL).onBackpressureDrop().cast(Object.class));
				// merge subscribes to the messages first, so nothing published after the first read is lost.
				return Flux.<Object>merge(resultMessages, polls)
					.concatMap((trigger) -> readResult(generation, gen, adds))
					.next();
			});
		}).map((hash) -> {
			generation.resultRead();
			return image(generation, hash);
		});
	}

	/** Forwards a progress message; a {@code result} message becomes a trigger to read the hash. */
	private String onMessage(Generation generation, ReactiveSubscription.Message<String, String> message) {
		JsonNode node;
		try {
			node = this.jsonMapper.readTree(message.getMessage());
		}
		catch (JacksonException ex) {
			// Progress is advisory, and the result is read from the hash anyway.
			return null;
		}
		if (node.path("worker").isString()) {
			generation.worker(node.path("worker").stringValue());
		}
		String type = node.path("type").isString() ? node.path("type").stringValue() : "";
		if ("result".equals(type)) {
			return type;
		}
		if ("progress".equals(type) && generation.progress != null) {
			WorkerProgress progress = WorkerAnswers.progress(node);
			if (progress != null) {
				generation.progress.onProgress(progress);
			}
		}
		return null;
	}

	private Mono<Void> add(Generation generation, String gen, long capacity) {
		List<String> args = new ArrayList<>(List.of(Long.toString(capacity), GROUP, "gen", gen, "requestId",
				generation.requestId, "request", generation.body, "deadline", Long.toString(generation.deadlineAt),
				"submittedAt", Long.toString(System.currentTimeMillis())));
		if (generation.traceparent != null) {
			args.add("traceparent");
			args.add(generation.traceparent);
		}
		generation.adding(gen);
		return this.redis.execute(ADD, List.of(this.properties.key("work")), args)
			.next()
			.timeout(this.redisTimeout)
			.flatMap((id) -> {
				if (FULL.equals(id)) {
					this.queueFull.increment();
					return Mono.error(queueFull(capacity));
				}
				return Mono.empty();
			});
	}

	/**
	 * The result hash when it is there; else empty, or {@link FlightLost} when this request waits on another's flight
	 * that ended without one.
	 */
	private Mono<Map<String, byte[]>> readResult(Generation generation, String gen, boolean adds) {
		Mono<Map<String, byte[]>> read = this.binary.<String, byte[]>opsForHash()
			.entries(this.properties.key("result", gen))
			.collectMap(Map.Entry::getKey, Map.Entry::getValue)
			.timeout(this.redisTimeout);
		return read.flatMap((hash) -> {
			if (!hash.isEmpty()) {
				return Mono.just(hash);
			}
			if (adds || generation.fingerprint == null) {
				return Mono.empty();
			}
			return this.redis.opsForValue()
				.get(this.properties.key("flight", generation.fingerprint))
				.timeout(this.redisTimeout)
				.defaultIfEmpty("")
				.flatMap((owner) -> owner.equals(gen) ? Mono.<Map<String, byte[]>>empty()
						// Read once more: the result may have been stored, and the flight released, just now.
						: read.flatMap((again) -> again.isEmpty() ? Mono.error(new FlightLost()) : Mono.just(again)));
		});
	}

	/** The result hash mapped exactly as the same answer over HTTP ({@link WorkerAnswers}). */
	private WorkerImage image(Generation generation, Map<String, byte[]> hash) {
		if (generation.fingerprint != null) {
			release(this.properties.key("flight", generation.fingerprint), generation.waitedOn());
		}
		String worker = text(hash, "worker");
		if (worker != null) {
			generation.worker(worker);
		}
		return this.answers.readResult(hash, generation.expected);
	}

	private static String text(Map<String, byte[]> hash, String field) {
		byte[] value = hash.get(field);
		return (value != null) ? new String(value, StandardCharsets.UTF_8) : null;
	}

	/** Best effort, never awaited: a key left behind expires at the deadline anyway. */
	private void release(String flight, String gen) {
		if (gen == null) {
			return;
		}
		this.redis.execute(RELEASE, List.of(flight), List.of(gen))
			.timeout(this.redisTimeout)
			.subscribeOn(Schedulers.boundedElastic())
			.subscribe(null, (failure) -> logger.debug("Could not release {}: {}", flight, describe(failure)));
	}

	private void cancel(String gen, Duration untilDeadline) {
		String key = this.properties.key("cancel", gen);
		this.redis.opsForValue()
			.set(key, "1", untilDeadline)
			.timeout(this.redisTimeout)
			// A cancel arrives on the event loop; see generate for why Redis commands are subscribed elsewhere.
			.subscribeOn(Schedulers.boundedElastic())
			.subscribe(null, (failure) -> logger.warn("Could not mark generation {} cancelled: {}", gen,
					describe(failure)));
	}

	/** The W3C {@code traceparent} of the span current in the caller's context, or {@code null} without one. */
	private String traceparent(ContextView context) {
		Tracer current = this.tracer.getIfAvailable();
		Propagator propagation = this.propagator.getIfAvailable();
		if (current == null || propagation == null) {
			return null;
		}
		try (ContextSnapshot.Scope scope = this.snapshots.setThreadLocalsFrom(context)) {
			Span span = current.currentSpan();
			if (span == null) {
				return null;
			}
			Map<String, String> carrier = new HashMap<>();
			propagation.inject(span.context(), carrier, Map::put);
			return carrier.get("traceparent");
		}
	}

	private String newGen() {
		byte[] bytes = new byte[16];
		this.random.nextBytes(bytes);
		return HexFormat.of().formatHex(bytes);
	}

	private ApiProblem noWorker() {
		return ApiProblem
			.of(ProblemTypes.WORKER_UNAVAILABLE, 503, "Worker unavailable",
					"No worker is connected to the shared queue (no live heartbeat in Redis); try again shortly.")
			.withRetryAfter(this.settings.retryAfter());
	}

	private ApiProblem queueFull(long capacity) {
		return ApiProblem
			.of(ProblemTypes.QUEUE_FULL, 503, "Queue full", "The shared queue holds " + capacity
					+ " generations already (QUEUE_CAPACITY per live worker session); try again shortly.")
			.withRetryAfter(this.settings.retryAfter());
	}

	private static ApiProblem deadlineExceeded() {
		return ApiProblem.of(ProblemTypes.DEADLINE_EXCEEDED, 504, "Deadline exceeded",
				"No worker finished the generation within the API's WORKER_TIMEOUT.");
	}

	private static String describe(Throwable failure) {
		Throwable root = failure;
		while (root.getCause() != null && root.getCause() != root) {
			root = root.getCause();
		}
		return root.getClass().getSimpleName() + ((root.getMessage() != null) ? ": " + root.getMessage() : "");
	}

	@Override
	public void destroy() {
		for (ReactiveRedisMessageListenerContainer created : this.containers) {
			try {
				created.destroy();
			}
			catch (RuntimeException ex) {
				logger.debug("Closing the Redis listener container failed: {}", describe(ex));
			}
		}
	}

	/** The flight a request waited on ended without a result: it takes over with a flight of its own. */
	private static final class FlightLost extends RuntimeException {

		FlightLost() {
			super("flight ended without a result", null, false, false);
		}

	}

	/** One request's dispatch: what it asks, and what it owns in Redis that must be released when it ends. */
	private final class Generation {

		final String body;

		final MediaType expected;

		final String requestId;

		final Consumer<String> onWorker;

		final ProgressListener progress;

		final String fingerprint;

		final String traceparent;

		/** The entry's {@code deadline}: the worker gives up before the API does, as with {@code X-Deadline-Ms}. */
		final long deadlineAt = System.currentTimeMillis() + WorkerPool.deadlineMillis(RedisDispatch.this.settings.timeout());

		private final AtomicBoolean named = new AtomicBoolean();

		private final AtomicBoolean read = new AtomicBoolean();

		private volatile String added;

		private volatile String flight;

		private volatile String waitedOn;

		Generation(String body, MediaType expected, String requestId, Consumer<String> onWorker,
				ProgressListener progress, String fingerprint, String traceparent) {
			this.body = body;
			this.expected = expected;
			this.requestId = requestId;
			this.onWorker = onWorker;
			this.progress = progress;
			this.fingerprint = fingerprint;
			this.traceparent = traceparent;
		}

		Duration untilDeadline() {
			// At least a millisecond: Redis refuses PX 0, and a key that expires at once is what "past" means.
			return Duration.ofMillis(Math.max(1, this.deadlineAt - System.currentTimeMillis()));
		}

		void worker(String worker) {
			if (this.named.compareAndSet(false, true)) {
				this.onWorker.accept(worker);
			}
		}

		void flightOwned(String gen) {
			this.flight = gen;
		}

		void adding(String gen) {
			this.added = gen;
		}

		void waitingOn(String gen) {
			this.waitedOn = gen;
		}

		String waitedOn() {
			return this.waitedOn;
		}

		void resultRead() {
			this.read.set(true);
		}

		/** The entry this request added is in the stream and awaited: a job's listener learns its generation. */
		void dispatched() {
			if (this.added != null && this.progress != null) {
				this.progress.onDispatched(this.added);
			}
		}

		/** The caller left: the worker must not start the entry, or stop it at its next step. */
		void cancelled() {
			if (this.added != null && !this.read.get()) {
				cancel(this.added, untilDeadline());
			}
		}

		/** A flight this request owns and whose result nobody read ends with it, so that waiters can take over. */
		void ended() {
			if (this.flight != null && !this.read.get()) {
				release(properties.key("flight", this.fingerprint), this.flight);
			}
		}

	}

}

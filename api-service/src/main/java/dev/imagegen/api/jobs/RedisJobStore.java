package dev.imagegen.api.jobs;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

import io.lettuce.core.RedisException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;
import reactor.util.retry.Retry;
import tools.jackson.databind.json.JsonMapper;

import dev.imagegen.api.cache.StoredImage;
import dev.imagegen.api.generate.ImageGenerator;
import dev.imagegen.api.problem.ApiProblem;
import dev.imagegen.api.problem.ProblemTypes;
import dev.imagegen.api.redis.RedisProperties;
import dev.imagegen.api.redis.RedisUnavailable;
import dev.imagegen.api.worker.WorkerAnswers;
import dev.imagegen.api.worker.WorkerImage;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.dao.DataAccessException;
import org.springframework.data.redis.connection.ReactiveRedisConnectionFactory;
import org.springframework.data.redis.core.ReactiveRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;
import org.springframework.data.redis.listener.ChannelTopic;
import org.springframework.data.redis.listener.ReactiveRedisMessageListenerContainer;
import org.springframework.data.redis.serializer.RedisSerializationContext;
import org.springframework.data.redis.serializer.RedisSerializer;
import org.springframework.http.MediaType;

/**
 * The Redis mode's {@link JobStore} (docs/architecture.md, "Jobs in Redis"): every replica reads every job. The
 * replica that runs a job (its owner) writes each state to the hash {@code P:job:{id}} and publishes it on
 * {@code P:jobevents:{id}}, one state after the other, in one script per state; the image of a succeeded job goes to
 * {@code P:jobimage:{id}}. The index {@code P:jobs} (a sorted set, score = when the entry stops counting) bounds the
 * jobs of all replicas by {@code MAX_JOBS}: an ended job counts until its retention ends, a running one while its
 * owner's heartbeat renews its lease. A reader that finds a running job whose owner's heartbeat {@code P:api:{id}}
 * is gone ends it from the worker's result, or at its deadline. A cancellation on another replica is written here
 * (compare-and-set on the version) and sent to the owner on {@code P:jobcancel:{replicaId}} so that it stops the
 * generation. Every command is non-blocking and bounded by Lettuce's command timeout; a Redis failure is
 * {@link RedisUnavailable#problem()}.
 */
final class RedisJobStore implements JobStore, DisposableBean {

	private static final Logger logger = LoggerFactory.getLogger(RedisJobStore.class);

	/**
	 * Holds a new job when the index allows: entries whose score has passed leave the index first (a running job
	 * whose lease lapsed, because its replica is gone, gets the retention of an ended one, so that it cannot stay
	 * for ever). The owner's heartbeat is renewed with it: a replica that writes is alive, also right after Redis
	 * came back empty. KEYS: job hash, index, heartbeat. ARGV: now, MAX_JOBS, lease score, id, retention ms, job
	 * key prefix, image key prefix, heartbeat ms, replica id, then field/value pairs. Answers 1 when held, 0 when
	 * full.
	 */
	private static final RedisScript<Long> ADD = RedisScript.of("""
			local lapsed = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
			for _, member in ipairs(lapsed) do
			  if redis.call('PTTL', ARGV[6] .. member) == -1 then
			    redis.call('PEXPIRE', ARGV[6] .. member, ARGV[5])
			  end
			  if redis.call('PTTL', ARGV[7] .. member) == -1 then
			    redis.call('PEXPIRE', ARGV[7] .. member, ARGV[5])
			  end
			end
			if #lapsed > 0 then
			  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
			end
			if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[2]) then
			  return 0
			end
			redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
			redis.call('SET', KEYS[3], ARGV[9], 'PX', ARGV[8])
			local fields = {}
			for i = 10, #ARGV do
			  fields[#fields + 1] = ARGV[i]
			end
			redis.call('HSET', KEYS[1], unpack(fields))
			return 1
			""", Long.class);

	/**
	 * Saves one state and publishes it. A state is never saved over an ended one (answers -1), nor over a newer one,
	 * nor, for a compare-and-set, over another version than the expected one (answers 0). An ended state gets the
	 * retention TTL on the hash and the image; a running one none. The owner's own writes renew its heartbeat.
	 * KEYS: job hash, job image, index, heartbeat. ARGV: version, expected version or '', terminal '1'/'0',
	 * retention ms, index score, id, channel, message, heartbeat ms or '' (not the owner), replica id, number of
	 * hash fields n, n field/value pairs, then the image's field/value pairs.
	 */
	private static final RedisScript<Long> SAVE = RedisScript.of("""
			if redis.call('HGET', KEYS[1], 'terminal') == '1' then
			  return -1
			end
			local current = redis.call('HGET', KEYS[1], 'version')
			if ARGV[2] ~= '' then
			  if current ~= ARGV[2] then
			    return 0
			  end
			elseif current and tonumber(current) >= tonumber(ARGV[1]) then
			  return 0
			end
			if ARGV[9] ~= '' then
			  redis.call('SET', KEYS[4], ARGV[10], 'PX', ARGV[9])
			end
			local n = tonumber(ARGV[11])
			local fields = {}
			for i = 12, 11 + 2 * n do
			  fields[#fields + 1] = ARGV[i]
			end
			redis.call('HSET', KEYS[1], unpack(fields))
			if ARGV[3] == '1' then
			  redis.call('PEXPIRE', KEYS[1], ARGV[4])
			  if #ARGV > 11 + 2 * n then
			    local image = {}
			    for i = 12 + 2 * n, #ARGV do
			      image[#image + 1] = ARGV[i]
			    end
			    redis.call('DEL', KEYS[2])
			    redis.call('HSET', KEYS[2], unpack(image))
			    redis.call('PEXPIRE', KEYS[2], ARGV[4])
			  end
			else
			  redis.call('PERSIST', KEYS[1])
			end
			redis.call('ZADD', KEYS[3], ARGV[5], ARGV[6])
			redis.call('PUBLISH', ARGV[7], ARGV[8])
			return 1
			""", Long.class);

	/**
	 * One heartbeat of a replica: its key, the leases of the jobs it runs, and which of them have ended in Redis
	 * meanwhile (cancelled through another replica: pub/sub may lose that message, this does not). KEYS: heartbeat,
	 * index. ARGV: replica id, heartbeat ms, lease score, job key prefix, then the ids. Answers the ended ids.
	 */
	private static final RedisScript<List> BEAT = RedisScript.of("""
			redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
			local ended = {}
			for i = 5, #ARGV do
			  local terminal = redis.call('HGET', ARGV[4] .. ARGV[i], 'terminal')
			  if terminal == '1' then
			    ended[#ended + 1] = ARGV[i]
			  else
			    redis.call('ZADD', KEYS[2], ARGV[3], ARGV[i])
			  end
			end
			ended[#ended + 1] = tostring(redis.call('ZCARD', KEYS[2]))
			return ended
			""", List.class);

	/** The longest a caller waits for a job's states to reach Redis: Lettuce's command timeout and a margin. */
	private static final Duration SAVED_WAIT = Duration.ofSeconds(3);

	/** How often a replica that asked a busy owner to cancel a job looks whether it has. */
	private static final Duration ENDED_POLL = Duration.ofMillis(50);

	private static final long SAVED = 1;

	private static final long ENDED_ELSEWHERE = -1;

	/** How often a non-owner retries a compare-and-set that lost to a concurrent change. */
	private static final int CAS_ATTEMPTS = 3;

	private static final SecureRandom RANDOM = new SecureRandom();

	/**
	 * Where commands are issued from. Lettuce's shared connection is opened by the first command that needs it,
	 * synchronously on the calling thread; while Redis is unreachable that would hold an event loop for the connect
	 * timeout. Issued from here, a command never runs on an event loop; its answer still arrives asynchronously.
	 */
	private static final reactor.core.scheduler.Scheduler OFF_LOOP = Schedulers.boundedElastic();

	private final ReactiveRedisConnectionFactory factory;

	private final ReactiveRedisTemplate<String, byte[]> redis;

	private final RedisProperties keys;

	private final JobsProperties properties;

	private final JobHash hash;

	private final WorkerAnswers results;

	private final Clock clock;

	private final String replicaId = HexFormat.of().formatHex(randomBytes());

	private final Map<String, Owned> owned = new ConcurrentHashMap<>();

	private final Sinks.Many<String> cancelRequests = Sinks.many().multicast().onBackpressureBuffer();

	private final Sinks.One<Void> listening = Sinks.one();

	private final AtomicLong held = new AtomicLong();

	private final MeterRegistry meters;

	private volatile ReactiveRedisMessageListenerContainer container;

	private final Disposable heartbeat;

	private final Disposable cancelListener;

	/**
	 * @param factory Boot's Lettuce connection factory
	 * @param keys the key prefix
	 * @param properties retention, {@code MAX_JOBS}, the heartbeat and the poll interval
	 * @param jsonMapper the JSON codec
	 * @param workerRetryAfter the {@code Retry-After} of a worker 429/503 that carries none
	 * @param clock the wall clock (TTLs and deadlines are epoch milliseconds, shared by all replicas)
	 * @param meters where {@code imagegen.jobs.shared} and the endings this replica records go
	 */
	RedisJobStore(ReactiveRedisConnectionFactory factory, RedisProperties keys, JobsProperties properties,
			JsonMapper jsonMapper, Duration workerRetryAfter, Clock clock, MeterRegistry meters) {
		this.factory = factory;
		this.redis = new ReactiveRedisTemplate<>(factory, RedisSerializationContext
			.<String, byte[]>newSerializationContext(RedisSerializer.byteArray())
			.key(RedisSerializer.string())
			.hashKey(RedisSerializer.string())
			.value(RedisSerializer.byteArray())
			.hashValue(RedisSerializer.byteArray())
			.build());
		this.keys = keys;
		this.properties = properties;
		this.hash = new JobHash(jsonMapper);
		this.results = new WorkerAnswers(jsonMapper, workerRetryAfter);
		this.clock = clock;
		this.meters = meters;
		Gauge.builder("imagegen.jobs.shared", this.held, AtomicLong::get)
			.description("Jobs held in Redis by all API replicas (running, or ended within JOB_RETENTION), "
					+ "as last counted by this replica's heartbeat")
			.register(meters);
		Duration beat = properties.ownerHeartbeat().dividedBy(3);
		this.heartbeat = Flux.interval(Duration.ZERO, beat)
			.onBackpressureDrop()
			.concatMap((tick) -> beat().subscribeOn(OFF_LOOP).onErrorResume((ex) -> {
				logger.debug("Job heartbeat failed: {}", ex.toString());
				return Mono.empty();
			}))
			.subscribe();
		this.cancelListener = Flux.defer(() -> container()
			.flatMap((listeners) -> listeners.receiveLater(ChannelTopic.of(cancelChannel())))
			.doOnNext((subscribed) -> this.listening.tryEmitEmpty())
			.flatMapMany((messages) -> messages))
			.doOnNext((message) -> requestCancel(message.getMessage()))
			.retryWhen(Retry.backoff(Long.MAX_VALUE, Duration.ofMillis(500)).maxBackoff(Duration.ofSeconds(5)))
			.subscribe(null, (ex) -> logger.error("Job cancellations from other replicas are no longer received", ex));
	}

	/**
	 * Completes once this replica listens for cancellations made elsewhere (for tests: a request published before
	 * that reaches the owner only through its next heartbeat).
	 * @return completion
	 */
	Mono<Void> listening() {
		return this.listening.asMono();
	}

	/** @return this replica's id in {@code P:api:{replicaId}} and in its jobs' {@code owner} field */
	String replicaId() {
		return this.replicaId;
	}

	@Override
	public Mono<Void> add(Job job) {
		return Mono.defer(() -> {
			Job.Snapshot first = job.latest();
			long now = this.clock.millis();
			List<Object> args = new ArrayList<>(List.of(now, this.properties.maxJobs(), now + lease().toMillis(),
					job.id(), this.properties.retention().toMillis(), this.keys.key("job", ""),
					this.keys.key("jobimage", ""), this.properties.ownerHeartbeat().toMillis(), this.replicaId));
			this.hash.fields(first, this.replicaId).forEach((field, value) -> {
				args.add(field);
				args.add(value);
			});
			return this.redis
				.execute(ADD, List.of(jobKey(job.id()), indexKey(), heartbeatKey(this.replicaId)), JobHash.args(args))
				.next()
				.flatMap((result) -> (result == SAVED) ? Mono.fromRunnable(() -> own(job, first))
						: Mono.error(tooManyJobs()));
		}).then().subscribeOn(OFF_LOOP).onErrorMap(RedisJobStore::unavailable)
			// The job's generation starts where this completes: on a parallel thread, not on Lettuce's I/O thread.
			.publishOn(Schedulers.parallel());
	}

	private ApiProblem tooManyJobs() {
		return ApiProblem.of(ProblemTypes.TOO_MANY_JOBS, 503, "Too many jobs",
				"The API holds " + this.properties.maxJobs() + " jobs (MAX_JOBS) across its replicas, running or "
						+ "ended within JOB_RETENTION; try again when some have expired.")
			.withRetryAfter(LocalJobStore.FULL_RETRY_AFTER);
	}

	private void own(Job job, Job.Snapshot first) {
		Owned entry = new Owned(job);
		this.owned.put(job.id(), entry);
		entry.changes = job.changes().filter((snapshot) -> snapshot.version() > first.version()).subscribe(entry::write);
	}

	@Override
	public Optional<Job> owned(String id) {
		return Optional.ofNullable(this.owned.get(id)).map((entry) -> entry.job);
	}

	@Override
	public Mono<JobView> find(String id) {
		return read(id).flatMap(this::resolveIfOrphaned).subscribeOn(OFF_LOOP).onErrorMap(RedisJobStore::unavailable);
	}

	@Override
	public Flux<JobView> changes(String id) {
		return Flux.defer(() -> {
			AtomicLong shown = new AtomicLong(-1);
			// Subscribed before the first read, so that no change between the two is missed.
			// Bounded: Lettuce does not time out a SUBSCRIBE queued while it is disconnected, and a stream that sent
			// nothing would hang until Redis is back; a timeout ends it with the 503 of every Redis failure.
			return container().flatMap((listeners) -> listeners.receiveLater(ChannelTopic.of(eventsChannel(id))))
				.timeout(SAVED_WAIT)
				.flatMapMany((messages) -> find(id).map(Optional::of)
					.defaultIfEmpty(Optional.empty())
					// A subscription nobody reads is released only by cancelling it: take(0) does.
					.onErrorResume((ex) -> messages.take(0).then(Mono.error(ex)))
					.flatMapMany((first) -> {
						if (first.isEmpty() || first.get().terminal()) {
							return messages.take(0).thenMany(Flux.fromStream(first.stream()));
						}
						Flux<JobView> pushed = messages
							.map((message) -> this.hash.viewOfMessage(id, message.getMessage()));
						Flux<JobView> polled = Flux.interval(this.properties.poll())
							.onBackpressureDrop()
							.concatMap((tick) -> find(id));
						return Flux.concat(Mono.just(first.get()), Flux.merge(pushed, polled));
					}))
				.filter((job) -> shown.getAndAccumulate(job.version(), Math::max) < job.version())
				.takeUntil(JobView::terminal);
		}).subscribeOn(OFF_LOOP).onErrorMap(RedisJobStore::unavailable);
	}

	@Override
	public Mono<ImageGenerator.Generated> image(JobView job) {
		Mono<List<byte[]>> meta = this.redis.<String, byte[]>opsForHash()
			.multiGet(jobKey(job.id()), List.of(JobHash.FINGERPRINT, JobHash.HIT, JobHash.AGE));
		Mono<Map<String, byte[]>> image = this.redis.<String, byte[]>opsForHash()
			.entries(imageKey(job.id()))
			.collectMap(Map.Entry::getKey, Map.Entry::getValue);
		return Mono.zip(meta, image).flatMap((both) -> {
			Map<String, byte[]> fields = both.getT2();
			if (fields.get(JobHash.IMAGE) == null) {
				return Mono.empty();
			}
			List<byte[]> values = both.getT1();
			long seed = Long.parseLong(text(fields.get(JobHash.SEED)));
			StoredImage stored = new StoredImage(fields.get(JobHash.IMAGE),
					MediaType.parseMediaType(text(fields.get(JobHash.CONTENT_TYPE))), seed, 0);
			String fingerprint = (values.get(0) != null) ? text(values.get(0))
					: job.request().withSeed(seed).fingerprint();
			boolean hit = values.get(1) != null && Boolean.parseBoolean(text(values.get(1)));
			Duration age = Duration.ofSeconds((values.get(2) != null) ? Long.parseLong(text(values.get(2))) : 0);
			return Mono.just(new ImageGenerator.Generated(job.request().withSeed(seed), stored, fingerprint, hit, age));
		}).subscribeOn(OFF_LOOP).onErrorMap(RedisJobStore::unavailable);
	}

	@Override
	public Mono<Void> saved(Job job) {
		Owned entry = this.owned.get(job.id());
		// The chain retries while Redis is down; the caller waits no longer than a command would.
		return (entry != null) ? entry.tail().timeout(SAVED_WAIT).onErrorMap(RedisJobStore::unavailable) : Mono.empty();
	}

	@Override
	public Mono<JobView> cancelElsewhere(String id) {
		return cancelElsewhere(id, CAS_ATTEMPTS, false).subscribeOn(OFF_LOOP).onErrorMap(RedisJobStore::unavailable);
	}

	/**
	 * Compare-and-set of the cancelled state, {@code attempts} times. When the owner changed the job between each
	 * read and write (it is alive and busy with it), the owner is asked to cancel it (its own cancel path writes the
	 * state and tells the worker) and the answer waits until that is in Redis; an owner that did not hear (its
	 * listener reconnecting) gets one more round of compare-and-set.
	 */
	private Mono<JobView> cancelElsewhere(String id, int attempts, boolean ownerAsked) {
		return read(id).flatMap((stored) -> {
			if (stored.view().terminal()) {
				return Mono.just(stored.view());
			}
			Map<String, Object> json = JobHash.ended(stored.view(), JobStatus.CANCELLED, this.clock.instant(), null,
					null);
			return compareAndSet(stored, JobStatus.CANCELLED, json, null, null).flatMap((result) -> {
				if (result.isEmpty()) {
					if (attempts > 1) {
						return cancelElsewhere(id, attempts - 1, ownerAsked);
					}
					if (ownerAsked) {
						return read(id).map(Stored::view);
					}
					return askOwner(stored)
						.flatMap((heard) -> heard ? endedBy(id, SAVED_WAIT) : read(id).map(Stored::view))
						.flatMap((view) -> view.terminal() ? Mono.just(view) : cancelElsewhere(id, CAS_ATTEMPTS, true));
				}
				return tellOwner(stored).thenReturn(result.get());
			});
		});
	}

	/**
	 * The job as soon as it has ended in Redis, polled for at most {@code wait}; then as it is.
	 */
	private Mono<JobView> endedBy(String id, Duration wait) {
		long polls = Math.max(1, wait.toMillis() / ENDED_POLL.toMillis());
		return Mono.defer(() -> read(id))
			.map(Stored::view)
			.filter(JobView::terminal)
			.repeatWhenEmpty((empty) -> empty.delayElements(ENDED_POLL).take(polls))
			.switchIfEmpty(Mono.defer(() -> read(id).map(Stored::view)));
	}

	/**
	 * Asks the owner to cancel a job it keeps changing, without writing anything.
	 * @return whether a replica received the request
	 */
	private Mono<Boolean> askOwner(Stored stored) {
		return this.redis.convertAndSend(cancelChannel(stored.owner()), JobHash.utf8(stored.view().id()))
			.map((receivers) -> receivers > 0);
	}

	/**
	 * After a cancellation written here: the owner stops the generation (its own cancel path); the worker is told
	 * not to start it, or to abandon it, in any case ({@code P:cancel:{gen}}), which also covers an owner that is
	 * gone. A cancellation nobody received is counted here.
	 */
	private Mono<Void> tellOwner(Stored stored) {
		Mono<Long> told = this.redis.convertAndSend(cancelChannel(stored.owner()), JobHash.utf8(stored.view().id()));
		Mono<Boolean> worker = Mono.empty();
		if (stored.generation() != null && stored.deadline() != null) {
			long left = stored.deadline() - this.clock.millis();
			if (left > 0) {
				worker = this.redis.opsForValue()
					.set(this.keys.key("cancel", stored.generation()), JobHash.utf8("1"), Duration.ofMillis(left));
			}
		}
		return told.flatMap((receivers) -> {
			if (receivers == 0) {
				endedHere(JobStatus.CANCELLED);
			}
			return Mono.empty();
		}).then(worker).then();
	}

	@Override
	public Flux<String> cancelRequests() {
		// The cancel and the start of the next job run off Lettuce's threads, which emit here.
		return this.cancelRequests.asFlux().publishOn(OFF_LOOP);
	}

	@Override
	public Mono<Void> remove(Job job) {
		return Mono.defer(() -> {
			Owned entry = this.owned.remove(job.id());
			if (entry != null) {
				entry.changes.dispose();
			}
			return this.redis.delete(jobKey(job.id()))
				.then(this.redis.opsForZSet().remove(indexKey(), JobHash.utf8(job.id())))
				.then();
		}).subscribeOn(OFF_LOOP).onErrorMap(RedisJobStore::unavailable);
	}

	@Override
	public void ended(Job job) {
		// The terminal state's save gives the job its retention (one script with the state itself).
	}

	@Override
	public Map<JobStatus, Long> countByStatus() {
		Map<JobStatus, Long> counts = new EnumMap<>(JobStatus.class);
		for (JobStatus status : JobStatus.values()) {
			counts.put(status, 0L);
		}
		this.owned.values().forEach((entry) -> counts.merge(entry.job.status(), 1L, Long::sum));
		return counts;
	}

	@Override
	public synchronized void destroy() {
		if (this.heartbeat.isDisposed()) {
			return;
		}
		this.heartbeat.dispose();
		this.cancelListener.dispose();
		synchronized (this.cancelRequests) {
			this.cancelRequests.tryEmitComplete();
		}
		try {
			// Its jobs are resolved by other replicas at once rather than after the heartbeat's lifetime.
			this.redis.delete(heartbeatKey(this.replicaId)).block(Duration.ofSeconds(3));
		}
		catch (RuntimeException ex) {
			logger.debug("Could not remove the job heartbeat: {}", ex.toString());
		}
		ReactiveRedisMessageListenerContainer listeners = this.container;
		if (listeners != null) {
			listeners.destroyLater().subscribe(null, (ex) -> logger.debug("Closing job subscriptions: {}", ex.toString()));
		}
	}

	// Reading, and ending jobs whose replica is gone.

	private Mono<Stored> read(String id) {
		return this.redis.<String, byte[]>opsForHash()
			.entries(jobKey(id))
			.collectMap(Map.Entry::getKey, Map.Entry::getValue)
			.flatMap((raw) -> {
				Map<String, String> fields = JobHash.text(raw);
				if (fields.get(JobHash.JSON) == null || fields.get(JobHash.VERSION) == null) {
					return Mono.empty();
				}
				String deadline = fields.get(JobHash.DEADLINE);
				return Mono.just(new Stored(this.hash.view(id, fields), fields.get(JobHash.OWNER),
						fields.get(JobHash.GEN), (deadline != null) ? Long.valueOf(deadline) : null));
			});
	}

	private Mono<JobView> resolveIfOrphaned(Stored stored) {
		if (stored.view().terminal() || this.replicaId.equals(stored.owner()) || stored.owner() == null) {
			return Mono.just(stored.view());
		}
		return this.redis.hasKey(heartbeatKey(stored.owner()))
			.flatMap((alive) -> alive ? Mono.just(stored.view()) : resolve(stored));
	}

	/**
	 * A running job whose replica is gone: its worker's result when stored, else failed at its deadline; a job
	 * that never reached the shared queue can no longer get there and fails at once.
	 */
	private Mono<JobView> resolve(Stored stored) {
		Instant now = this.clock.instant();
		if (stored.generation() == null) {
			ApiProblem lost = ApiProblem.of(ProblemTypes.WORKER_UNAVAILABLE, 503, "Worker unavailable",
					"The API replica that held this job stopped before the job reached a worker; submit it again.")
				.withRetryAfter(RedisUnavailable.RETRY_AFTER);
			return endOrphan(stored, JobStatus.FAILED, JobHash.ended(stored.view(), JobStatus.FAILED, now, null, lost),
					null, lost);
		}
		return this.redis.<String, byte[]>opsForHash()
			.entries(this.keys.key("result", stored.generation()))
			.collectMap(Map.Entry::getKey, Map.Entry::getValue)
			.flatMap((result) -> {
				if (!result.isEmpty()) {
					WorkerImage answer;
					try {
						// The same checks as the owner would have made (image signature, the requested type).
						answer = this.results.readResult(result, stored.view().request().format().mediaType());
						if (answer.seed() == null) {
							throw WorkerAnswers.badResponse("The worker stored a result without a seed.");
						}
					}
					catch (ApiProblem problem) {
						return endOrphan(stored, JobStatus.FAILED,
								JobHash.ended(stored.view(), JobStatus.FAILED, now, null, problem), null, problem);
					}
					Map<String, byte[]> image = Map.of(JobHash.IMAGE, answer.bytes(), JobHash.CONTENT_TYPE,
							JobHash.utf8(answer.mediaType().toString()), JobHash.SEED, JobHash.utf8(answer.seed().toString()));
					return endOrphan(stored, JobStatus.SUCCEEDED,
							JobHash.ended(stored.view(), JobStatus.SUCCEEDED, now, answer.seed(), null), image, null);
				}
				if (stored.deadline() != null && now.toEpochMilli() > stored.deadline()) {
					ApiProblem late = ApiProblem.of(ProblemTypes.DEADLINE_EXCEEDED, 504, "Deadline exceeded",
							"The job's generation did not finish within its deadline (WORKER_TIMEOUT).");
					return endOrphan(stored, JobStatus.FAILED,
							JobHash.ended(stored.view(), JobStatus.FAILED, now, null, late), null, late);
				}
				return Mono.just(stored.view());
			});
	}

	private Mono<JobView> endOrphan(Stored stored, JobStatus status, Map<String, Object> json,
			Map<String, byte[]> image, ApiProblem problem) {
		return compareAndSet(stored, status, json, image, problem).flatMap((result) -> {
			if (result.isPresent()) {
				endedHere(status);
				return Mono.just(result.get());
			}
			// Another replica changed it meanwhile: what it wrote stands.
			return read(stored.view().id()).map(Stored::view);
		});
	}

	/**
	 * Writes a state over the one read, unless it changed meanwhile.
	 * @return the new state, or empty when the job changed meanwhile (or had ended)
	 */
	private Mono<Optional<JobView>> compareAndSet(Stored stored, JobStatus status, Map<String, Object> json,
			Map<String, byte[]> image, ApiProblem problem) {
		long version = stored.view().version() + 1;
		Map<String, String> fields = this.hash.base(json, status, version);
		if (problem != null && problem.retryAfter() != null) {
			fields.put(JobHash.RETRY_AFTER, Long.toString(problem.retryAfter().toSeconds()));
		}
		if (image != null) {
			// Resolved from the worker's result: the image is served as a fresh one of the seed it has.
			fields.put(JobHash.HIT, "false");
			fields.put(JobHash.AGE, "0");
		}
		Duration retryAfter = (problem != null) ? problem.retryAfter() : null;
		return save(stored.view().id(), version, Long.toString(stored.view().version()), status.terminal(), fields,
				image, this.hash.message(json, version, retryAfter))
			.map((result) -> (result == SAVED)
					? Optional.of(this.hash.view(stored.view().id(), fields))
					: Optional.<JobView>empty());
	}

	private Mono<Long> save(String id, long version, String expected, boolean terminal, Map<String, String> fields,
			Map<String, byte[]> image, String message) {
		long now = this.clock.millis();
		long score = now + (terminal ? this.properties.retention() : lease()).toMillis();
		// Only the owner's writes (no expected version) renew its heartbeat.
		String heartbeat = expected.isEmpty() ? Long.toString(this.properties.ownerHeartbeat().toMillis()) : "";
		List<Object> args = new ArrayList<>(List.of(version, expected, terminal ? "1" : "0",
				this.properties.retention().toMillis(), score, id, eventsChannel(id), message, heartbeat,
				this.replicaId, fields.size()));
		fields.forEach((field, value) -> {
			args.add(field);
			args.add(value);
		});
		if (image != null) {
			image.forEach((field, value) -> {
				args.add(field);
				args.add(value);
			});
		}
		return this.redis
			.execute(SAVE, List.of(jobKey(id), imageKey(id), indexKey(), heartbeatKey(this.replicaId)), JobHash.args(args))
			.next();
	}

	private void endedHere(JobStatus status) {
		Counter.builder("imagegen.jobs.finished")
			.description("Jobs that ended, by outcome (succeeded, failed, cancelled)")
			.tag("outcome", status.wireName())
			.register(this.meters)
			.increment();
	}

	// The owner's side: heartbeat, leases, cancellations from elsewhere.

	private Mono<Void> beat() {
		List<Object> args = new ArrayList<>(List.of(this.replicaId, this.properties.ownerHeartbeat().toMillis(),
				this.clock.millis() + lease().toMillis(), this.keys.key("job", "")));
		args.addAll(this.owned.keySet());
		return this.redis.execute(BEAT, List.of(heartbeatKey(this.replicaId), indexKey()), JobHash.args(args))
			.next()
			.doOnNext((answer) -> {
				// The last element is the index's size; the others are jobs that ended elsewhere.
				for (int i = 0; i < answer.size() - 1; i++) {
					requestCancel(text((byte[]) answer.get(i)));
				}
				this.held.set(Long.parseLong(text((byte[]) answer.get(answer.size() - 1))));
			})
			.then();
	}

	/**
	 * Called on Lettuce's threads (the pub/sub listener's, and the shared connection's for a heartbeat or a write
	 * that found the job ended elsewhere). The lock makes them take turns for the hand-over to the subscriber's
	 * thread ({@link #cancelRequests()}), where a failure handler's spin could run out under load and an emission
	 * that threw would end the listener's subscription for good.
	 */
	private void requestCancel(String id) {
		if (!this.owned.containsKey(id)) {
			return;
		}
		Sinks.EmitResult result;
		synchronized (this.cancelRequests) {
			result = this.cancelRequests.tryEmitNext(id);
		}
		if (result.isFailure()) {
			// A cancellation written elsewhere comes again with the next heartbeat; one only asked for is retried
			// by the asking replica's compare-and-set.
			logger.warn("Could not pass on the cancellation of job {}: {}", id, result);
		}
	}

	/** How long a running job counts in the index without its owner renewing it. */
	private Duration lease() {
		return this.properties.ownerHeartbeat().multipliedBy(2);
	}

	private Mono<ReactiveRedisMessageListenerContainer> container() {
		ReactiveRedisMessageListenerContainer listeners = this.container;
		if (listeners != null) {
			return Mono.just(listeners);
		}
		// Making it opens a connection, which may wait for Redis: never on an event loop.
		return Mono.fromCallable(this::createContainer).subscribeOn(Schedulers.boundedElastic());
	}

	private synchronized ReactiveRedisMessageListenerContainer createContainer() {
		if (this.container == null) {
			this.container = new ReactiveRedisMessageListenerContainer(this.factory);
		}
		return this.container;
	}

	private String jobKey(String id) {
		return this.keys.key("job", id);
	}

	private String imageKey(String id) {
		return this.keys.key("jobimage", id);
	}

	private String indexKey() {
		return this.keys.key("jobs");
	}

	private String eventsChannel(String id) {
		return this.keys.key("jobevents", id);
	}

	private String heartbeatKey(String replica) {
		return this.keys.key("api", replica);
	}

	private String cancelChannel() {
		return cancelChannel(this.replicaId);
	}

	private String cancelChannel(String replica) {
		return this.keys.key("jobcancel", replica);
	}

	private static String text(byte[] bytes) {
		return new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
	}

	private static byte[] randomBytes() {
		byte[] bytes = new byte[16];
		RANDOM.nextBytes(bytes);
		return bytes;
	}

	/** Any failure of Redis is the one answer the Redis mode gives for it; the cause goes to the log. */
	static Throwable unavailable(Throwable failure) {
		if (failure instanceof DataAccessException || failure instanceof RedisException
				|| failure instanceof TimeoutException) {
			logger.warn("Redis failed for a jobs route: {}", failure.toString());
			return RedisUnavailable.problem();
		}
		return failure;
	}

	/**
	 * A job's hash as read.
	 *
	 * @param view the job
	 * @param owner the replica that runs it
	 * @param generation its {@code gen} once dispatched, else {@code null}
	 * @param deadline its generation's deadline (epoch ms) once dispatched, else {@code null}
	 */
	private record Stored(JobView view, String owner, String generation, Long deadline) {
	}

	/**
	 * A job this replica runs, and the chain that saves its states one after the other: a state is written only
	 * once the one before it has been, and a failed write is retried (backing off up to 5 s) while no newer state
	 * replaces it, so that the latest state always reaches Redis once it answers again.
	 */
	private final class Owned {

		private final Job job;

		private Mono<Void> tail = Mono.empty();

		private Disposable changes;

		Owned(Job job) {
			this.job = job;
		}

		synchronized Mono<Void> tail() {
			return this.tail;
		}

		synchronized void write(Job.Snapshot snapshot) {
			Mono<Void> next = this.tail.onErrorResume((ex) -> Mono.empty())
				.then(Mono.defer(() -> persist(snapshot)))
				.cache();
			this.tail = next;
			next.subscribe(null, (ex) -> logger.warn("Job {} state {} not saved: {}", this.job.id(), snapshot.version(),
					ex.toString()));
		}

		private Mono<Void> persist(Job.Snapshot snapshot) {
			long giveUp = RedisJobStore.this.clock.millis() + RedisJobStore.this.properties.retention().toMillis();
			Map<String, byte[]> image = (snapshot.result() != null) ? JobHash.imageFields(snapshot.result()) : null;
			Duration retryAfter = (snapshot.error() != null) ? snapshot.error().retryAfter() : null;
			return Mono.defer(() -> save(this.job.id(), snapshot.version(), "", snapshot.terminal(),
					RedisJobStore.this.hash.fields(snapshot, RedisJobStore.this.replicaId), image,
					RedisJobStore.this.hash.message(snapshot.json(), snapshot.version(), retryAfter)))
				.subscribeOn(OFF_LOOP)
				.retryWhen(Retry.backoff(Long.MAX_VALUE, Duration.ofMillis(200))
					.maxBackoff(Duration.ofSeconds(5))
					.filter((ex) -> this.job.latest().version() == snapshot.version()
							&& RedisJobStore.this.clock.millis() < giveUp))
				.doOnNext((result) -> {
					if (result == ENDED_ELSEWHERE) {
						// Cancelled (or ended) through another replica: stop the generation here too.
						requestCancel(this.job.id());
					}
				})
				.doFinally((signal) -> {
					if (snapshot.terminal() && RedisJobStore.this.owned.remove(this.job.id(), this)) {
						this.changes.dispose();
					}
				})
				.then();
		}

	}

}

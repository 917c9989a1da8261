package dev.imagegen.api.worker;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import dev.imagegen.api.redis.RedisModeEnvironment;
import dev.imagegen.api.redis.RedisProperties;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.data.domain.Range;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.stereotype.Component;

/**
 * Redis mode: the workers alive now, read from their heartbeat keys {@code P:worker:{workerId}} (docs/architecture.md
 * "Scale-out on Redis"; a key lives {@code WORKER_HEARTBEAT_TIMEOUT} after its worker's last heartbeat, so a dead
 * worker drops out by itself). The workers are named by the registry {@code P:workers}, which every heartbeat
 * refreshes: two commands whatever the size of the keyspace, where a {@code SCAN} for the keys would page through
 * every key (a result per generation of the last hour). Cached for a second: the dispatch asks on every
 * generation (for the backlog bound) and a monitor may poll {@code /health} often. The dispatch does not wait
 * for a new reading while the last one is younger than {@link #STALE_LIMIT}: it takes that one and has it
 * renewed in the background, so that reading the workers is not on a generation's path.
 */
@Component
@ConditionalOnBooleanProperty(RedisModeEnvironment.ENABLED)
public class LiveWorkers {

	/** How long one reading is reused: short against the heartbeat timeout, long against a request rate. */
	static final Duration CACHE_TTL = Duration.ofSeconds(1);

	/**
	 * How old a reading the dispatch takes without waiting for a new one: a few seconds change nothing there,
	 * since a dead worker's heartbeat outlives it by up to {@code WORKER_HEARTBEAT_TIMEOUT} anyway. Older than
	 * this (Redis gone for that long), the dispatch waits for a reading, and fails with Redis.
	 */
	static final Duration STALE_LIMIT = Duration.ofSeconds(5);

	private final ReactiveStringRedisTemplate redis;

	private final JsonMapper jsonMapper;

	private final String registry;

	private final String keyPrefix;

	private final Duration timeout;

	private final Mono<List<LiveWorker>> cached;

	private volatile Reading last;

	LiveWorkers(ReactiveStringRedisTemplate redis, RedisProperties properties, JsonMapper jsonMapper,
			RedisCommandTimeout timeout) {
		this.redis = redis;
		this.jsonMapper = jsonMapper;
		this.registry = properties.key("workers");
		this.keyPrefix = properties.key("worker", "");
		this.timeout = timeout.duration();
		this.cached = read().cache((workers) -> CACHE_TTL, (failure) -> Duration.ZERO, () -> Duration.ZERO);
	}

	/**
	 * The live workers, sorted by id; at most a second old.
	 * @return the workers, or an error when Redis did not answer
	 */
	public Mono<List<LiveWorker>> list() {
		return this.cached;
	}

	/**
	 * The browser sessions of all live workers that can take work, the unit of the backlog bound; from a reading
	 * with sessions up to {@link #STALE_LIMIT} old (one without is read anew, at most a second old).
	 * @return the number of sessions, or an error when Redis did not answer
	 */
	public Mono<Integer> sessions() {
		Reading reading = this.last;
		// Only a reading with sessions: one without would refuse generations for a worker that came up since.
		if (reading != null && reading.sessions() > 0) {
			Duration age = Duration.ofNanos(System.nanoTime() - reading.readAt());
			if (age.compareTo(STALE_LIMIT) < 0) {
				if (age.compareTo(CACHE_TTL) >= 0) {
					// Renewed for the next generation; a failure shows at /health and, once stale, here.
					this.cached.subscribe((ignored) -> {
					}, (ignored) -> {
					});
				}
				return Mono.just(reading.sessions());
			}
		}
		return list().map(LiveWorkers::usableSessions);
	}

	// A worker whose browsers are all down heartbeats but never reads: its sessions are no capacity, and with only
	// such workers a generation is refused at once (503 worker-unavailable) instead of waiting to a 504.
	private static int usableSessions(List<LiveWorker> workers) {
		return workers.stream().filter(LiveWorker::usable).mapToInt(LiveWorker::sessions).sum();
	}

	private Mono<List<LiveWorker>> read() {
		return this.redis.opsForZSet()
			.range(this.registry, Range.closed(0L, -1L))
			.map((id) -> this.keyPrefix + id)
			.collectList()
			.flatMap((keys) -> keys.isEmpty() ? Mono.just(List.<String>of()) : this.redis.opsForValue().multiGet(keys))
			.map(this::parse)
			.doOnNext((workers) -> this.last = new Reading(usableSessions(workers), System.nanoTime()))
			.timeout(this.timeout)
			// Off the event loop: until Lettuce has connected once, Spring Data Redis connects blocking.
			.subscribeOn(Schedulers.boundedElastic());
	}

	private List<LiveWorker> parse(List<String> values) {
		List<LiveWorker> workers = new ArrayList<>();
		for (String value : values) {
			LiveWorker worker = (value != null) ? parse(value) : null;
			if (worker != null) {
				workers.add(worker);
			}
		}
		workers.sort(Comparator.comparing(LiveWorker::id));
		return List.copyOf(workers);
	}

	private LiveWorker parse(String value) {
		try {
			JsonNode node = this.jsonMapper.readTree(value);
			if (!node.path("id").isString()) {
				return null;
			}
			JsonNode health = node.path("health");
			int sessions = health.path("sessions").isArray() ? health.path("sessions").size() : 0;
			String status = health.path("status").isString() ? health.path("status").stringValue() : "UNKNOWN";
			String heartbeatAt = node.path("heartbeatAt").isString() ? node.path("heartbeatAt").stringValue() : null;
			return new LiveWorker(node.path("id").stringValue(), status, heartbeatAt, sessions);
		}
		catch (JacksonException ex) {
			// A heartbeat this API cannot read counts as no worker: it is not one this version can talk to.
			return null;
		}
	}

	/** The usable sessions of one reading, and when it was made ({@link System#nanoTime()}). */
	private record Reading(int sessions, long readAt) {
	}

	/**
	 * One live worker as its heartbeat describes it.
	 *
	 * @param id the worker's id
	 * @param status the status of the worker's own {@code /health} ({@code UP}, {@code DEGRADED}, {@code DOWN})
	 * @param heartbeatAt when it last wrote its heartbeat (ISO-8601, the worker's clock)
	 * @param sessions its browser sessions
	 */
	public record LiveWorker(String id, String status, String heartbeatAt, int sessions) {

		/**
		 * Whether the worker can take generations.
		 * @return {@code true} for UP and DEGRADED
		 */
		public boolean usable() {
			return "UP".equals(this.status) || "DEGRADED".equals(this.status);
		}

	}

}

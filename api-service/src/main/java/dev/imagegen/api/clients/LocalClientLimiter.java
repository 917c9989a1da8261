package dev.imagegen.api.clients;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicBoolean;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.EstimationProbe;
import io.github.bucket4j.TimeMeter;

/**
 * The in-memory {@link ClientLimiter} of one API replica: a Bucket4j token bucket per client and quota, refilled
 * greedily over one minute (so {@code 10} per minute frees a token every 6 s, and {@code Retry-After} is exact),
 * and an in-flight count per client for the concurrency cap.
 * <p>
 * Buckets are kept in a bounded Caffeine cache and dropped after {@link #IDLE} without use: by then a bucket has
 * refilled completely, so forgetting it changes nothing. Only a flood of more than {@link #MAX_CLIENTS} distinct
 * clients within that time can evict a partly spent bucket, which then starts full again.
 */
final class LocalClientLimiter implements ClientLimiter {

	static final Duration WINDOW = Duration.ofMinutes(1);

	static final Duration IDLE = WINDOW.multipliedBy(2);

	static final long MAX_CLIENTS = 200_000;

	private final TimeMeter clock;

	private final int requestsPerMinute;

	private final Duration concurrencyRetryAfter;

	private final Cache<String, Bucket> requestBuckets;

	private final Cache<String, Bucket> generationBuckets;

	private final ConcurrentMap<String, Integer> inFlight = new ConcurrentHashMap<>();

	LocalClientLimiter(ClientsProperties properties, TimeMeter clock) {
		this.clock = clock;
		this.requestsPerMinute = properties.requestsPerMinute();
		this.concurrencyRetryAfter = properties.concurrencyRetryAfter();
		this.requestBuckets = Caffeine.newBuilder().expireAfterAccess(IDLE).maximumSize(MAX_CLIENTS).build();
		this.generationBuckets = Caffeine.newBuilder().expireAfterAccess(IDLE).maximumSize(MAX_CLIENTS).build();
	}

	@Override
	public Decision tryRequest(ClientIdentity client) {
		ConsumptionProbe probe = this.requestBuckets.get(client.bucket(), (key) -> bucket(this.requestsPerMinute))
			.tryConsumeAndReturnRemaining(1);
		return probe.isConsumed() ? Decision.admitted(() -> {
		}) : Decision.refused("request-rate", Duration.ofNanos(probe.getNanosToWaitForRefill()));
	}

	@Override
	public Decision tryStartGeneration(ClientIdentity client) {
		if (!takeSlot(client)) {
			return Decision.refused("concurrency", this.concurrencyRetryAfter);
		}
		ConsumptionProbe probe = generationBucket(client).tryConsumeAndReturnRemaining(1);
		if (!probe.isConsumed()) {
			releaseSlot(client.bucket());
			return Decision.refused("generation-rate", Duration.ofNanos(probe.getNanosToWaitForRefill()));
		}
		AtomicBoolean released = new AtomicBoolean();
		return Decision.admitted(() -> {
			if (released.compareAndSet(false, true)) {
				releaseSlot(client.bucket());
			}
		});
	}

	@Override
	public Quotas quotas(ClientIdentity client) {
		Bucket requests = this.requestBuckets.getIfPresent(client.bucket());
		Bucket generations = this.generationBuckets.getIfPresent(generationKey(client));
		long window = WINDOW.toSeconds();
		return new Quotas(this.requestsPerMinute, remaining(requests, this.requestsPerMinute),
				reset(requests, this.requestsPerMinute), client.generationsPerMinute(),
				remaining(generations, client.generationsPerMinute()), reset(generations, client.generationsPerMinute()),
				window);
	}

	private Bucket generationBucket(ClientIdentity client) {
		return this.generationBuckets.get(generationKey(client), (key) -> bucket(client.generationsPerMinute()));
	}

	/** A key's rate may change on reload: the bucket is per rate, so a new rate starts a bucket of its own. */
	private static String generationKey(ClientIdentity client) {
		return client.bucket() + "@" + client.generationsPerMinute();
	}

	private Bucket bucket(int perMinute) {
		return Bucket.builder()
			.addLimit((limit) -> limit.capacity(perMinute).refillGreedy(perMinute, WINDOW))
			.withCustomTimePrecision(this.clock)
			.build();
	}

	private boolean takeSlot(ClientIdentity client) {
		boolean[] taken = { false };
		this.inFlight.compute(client.bucket(), (key, count) -> {
			int current = (count != null) ? count : 0;
			if (current >= client.maxConcurrent()) {
				return count;
			}
			taken[0] = true;
			return current + 1;
		});
		return taken[0];
	}

	private void releaseSlot(String bucket) {
		this.inFlight.computeIfPresent(bucket, (key, count) -> (count <= 1) ? null : count - 1);
	}

	/** @return generations in flight for a client (for tests and the concurrency check) */
	int inFlight(ClientIdentity client) {
		return this.inFlight.getOrDefault(client.bucket(), 0);
	}

	private static long remaining(Bucket bucket, long capacity) {
		return (bucket != null) ? bucket.getAvailableTokens() : capacity;
	}

	private static long reset(Bucket bucket, long capacity) {
		if (bucket == null) {
			return 0;
		}
		EstimationProbe full = bucket.estimateAbilityToConsume(capacity);
		return seconds(Duration.ofNanos(full.canBeConsumed() ? 0 : full.getNanosToWaitForRefill()));
	}

	/** Whole seconds, rounded up: a client that waits that long finds the token. */
	static long seconds(Duration duration) {
		long seconds = duration.toSeconds();
		return (duration.minusSeconds(seconds).isZero()) ? seconds : seconds + 1;
	}

}

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
import reactor.core.publisher.Mono;

/**
 * The in-memory {@link ClientLimiter} of one API replica: a Bucket4j token bucket per client and quota (as
 * {@link ClientBandwidths} defines them), and an in-flight count per client for the concurrency cap. Every
 * answer is ready at once: the reactive methods only wrap the synchronous ones.
 * <p>
 * Buckets are kept in a bounded Caffeine cache and dropped after {@link #IDLE} without use: by then a bucket has
 * refilled completely, so forgetting it changes nothing. Only a flood of more than {@link #MAX_CLIENTS} distinct
 * clients within that time can evict a partly spent bucket, which then starts full again.
 */
final class LocalClientLimiter implements ClientLimiter {

	static final Duration WINDOW = ClientBandwidths.WINDOW;

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
	public Mono<Decision> tryRequest(ClientIdentity client) {
		return Mono.fromSupplier(() -> request(client));
	}

	@Override
	public Mono<Decision> tryStartGeneration(ClientIdentity client) {
		return Mono.fromSupplier(() -> startGeneration(client));
	}

	@Override
	public Mono<Quotas> quotas(ClientIdentity client) {
		return Mono.fromSupplier(() -> quotasNow(client));
	}

	/** @return {@link #tryRequest}'s decision, now */
	Decision request(ClientIdentity client) {
		ConsumptionProbe probe = this.requestBuckets
			.get(ClientBandwidths.requestBucket(client), (key) -> bucket(this.requestsPerMinute))
			.tryConsumeAndReturnRemaining(1);
		return probe.isConsumed() ? Decision.admitted(() -> {
		}) : Decision.refused("request-rate", Duration.ofNanos(probe.getNanosToWaitForRefill()));
	}

	/** @return {@link #tryStartGeneration}'s decision, now */
	Decision startGeneration(ClientIdentity client) {
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

	/** @return {@link #quotas}, now */
	Quotas quotasNow(ClientIdentity client) {
		Bucket requests = this.requestBuckets.getIfPresent(ClientBandwidths.requestBucket(client));
		Bucket generations = this.generationBuckets.getIfPresent(ClientBandwidths.generationBucket(client));
		long window = WINDOW.toSeconds();
		return new Quotas(this.requestsPerMinute, remaining(requests, this.requestsPerMinute),
				reset(requests, this.requestsPerMinute), client.generationsPerMinute(),
				remaining(generations, client.generationsPerMinute()), reset(generations, client.generationsPerMinute()),
				window);
	}

	private Bucket generationBucket(ClientIdentity client) {
		return this.generationBuckets.get(ClientBandwidths.generationBucket(client),
				(key) -> bucket(client.generationsPerMinute()));
	}

	private Bucket bucket(int perMinute) {
		return Bucket.builder()
			.addLimit(ClientBandwidths.perMinute(perMinute))
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

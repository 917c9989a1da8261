package dev.imagegen.api.clients;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;

import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.VerboseResult;
import io.github.bucket4j.distributed.AsyncBucketProxy;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.AsyncProxyManager;
import io.github.bucket4j.redis.lettuce.Bucket4jLettuce;
import io.lettuce.core.ScriptOutputType;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

import dev.imagegen.api.redis.LazyRedisConnection;
import dev.imagegen.api.redis.RedisFailureLog;
import dev.imagegen.api.redis.RedisProperties;
import dev.imagegen.api.redis.RedisUnavailable;

/**
 * The {@link ClientLimiter} of the Redis mode, one for all API replicas (docs/architecture.md, "Scale-out on
 * Redis"): the same token buckets as on one box ({@link ClientBandwidths}) kept by Bucket4j's Lettuce proxy
 * manager under {@code P:limits:requests:{bucket}} and {@code P:limits:generations:{bucket}@{rate}}, and the
 * concurrency cap as the sorted set {@code P:leases:{bucket}} of the client's generations in flight.
 * <p>
 * A lease is a random member whose score is its expiry (Redis's own clock, so replicas need not agree on the
 * time): {@code now + WORKER_TIMEOUT}, renewed every third of that while its generation runs, removed when it
 * ends, however it ends. Expired members are dropped before counting, so the leases of a replica that crashed
 * end by themselves. Taking a lease (drop expired, count, add) is one Lua script, so two replicas can never both
 * take the last slot.
 * <p>
 * Every call is asynchronous and bounded by the command timeout. Redis failing or silent is
 * {@code 503 queue-unavailable} ({@link RedisUnavailable}): no limit decision, no request, rather than a
 * service without limits.
 */
final class RedisClientLimiter implements ClientLimiter {

	/** Drop expired leases, then take one if the cap allows: ARGV = lease, lifetime ms, cap. */
	static final String ACQUIRE = """
			local time = redis.call('TIME')
			local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
			redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
			if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then
				return 0
			end
			redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
			redis.call('PEXPIRE', KEYS[1], ARGV[2])
			return 1
			""";

	/** Push a held lease's expiry out (only if it still exists): ARGV = lease, lifetime ms. */
	static final String RENEW = """
			local time = redis.call('TIME')
			local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
			if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
				redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[2]), ARGV[1])
				redis.call('PEXPIRE', KEYS[1], ARGV[2])
				return 1
			end
			return 0
			""";

	/** Reactor's "cache forever". */
	private static final Duration FOREVER = Duration.ofMillis(Long.MAX_VALUE);

	/** A full bucket is the same as none: its key may go a little after it has refilled. */
	private static final Duration KEEP_FULL_BUCKET = Duration.ofSeconds(10);

	private static final Runnable NOTHING = () -> {
	};

	private final LazyRedisConnection redis;

	private final RedisProperties keys;

	private final int requestsPerMinute;

	private final Duration concurrencyRetryAfter;

	private final Duration leaseLifetime;

	private final Mono<AsyncProxyManager<byte[]>> buckets;

	private final RedisFailureLog failures = new RedisFailureLog(LoggerFactory.getLogger(RedisClientLimiter.class));

	/**
	 * @param properties the clients' quotas
	 * @param redis the connection
	 * @param keys the key prefix
	 * @param leaseLifetime how long a lease lives unless renewed ({@code WORKER_TIMEOUT})
	 */
	RedisClientLimiter(ClientsProperties properties, LazyRedisConnection redis, RedisProperties keys,
			Duration leaseLifetime) {
		this.redis = redis;
		this.keys = keys;
		this.requestsPerMinute = properties.requestsPerMinute();
		this.concurrencyRetryAfter = properties.concurrencyRetryAfter();
		this.leaseLifetime = leaseLifetime;
		this.buckets = redis.connection()
			.map((connection) -> Bucket4jLettuce.casBasedBuilder(connection)
				.expirationAfterWrite(ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(KEEP_FULL_BUCKET))
				.requestTimeout(redis.timeout())
				.build()
				.asAsync())
			.cache((manager) -> FOREVER, (failure) -> Duration.ZERO, () -> Duration.ZERO);
	}

	@Override
	public Mono<Decision> tryRequest(ClientIdentity client) {
		return guarded("request limit", bucket("requests", ClientBandwidths.requestBucket(client), this.requestsPerMinute)
			.flatMap((bucket) -> Mono.fromFuture(() -> bucket.tryConsumeAndReturnRemaining(1)))
			.map((probe) -> probe.isConsumed() ? Decision.admitted(NOTHING)
					: Decision.refused("request-rate", Duration.ofNanos(probe.getNanosToWaitForRefill()))));
	}

	/**
	 * The slot and the token are asked for at once, not one after the other: a round trip less on the path of
	 * every generation. So the full slots refuse a generation that may have spent a token: that token is given
	 * back before the refusal is answered (for that moment, the client's other requests see one token fewer).
	 */
	@Override
	public Mono<Decision> tryStartGeneration(ClientIdentity client) {
		return Mono.defer(() -> {
			byte[] leases = leasesKey(client);
			byte[] lease = newLease();
			Mono<AsyncBucketProxy> bucket = bucket("generations", ClientBandwidths.generationBucket(client),
					client.generationsPerMinute())
				.cache();
			// Each outcome or its failure, so that both are known before anything is undone.
			Mono<Object> slot = acquire(leases, lease, client.maxConcurrent()).cast(Object.class)
				.onErrorResume(Mono::just);
			Mono<Object> token = bucket.flatMap((proxy) -> Mono.fromFuture(() -> proxy.tryConsumeAndReturnRemaining(1)))
				.cast(Object.class)
				.onErrorResume(Mono::just);
			Mono<Decision> decision = Mono.zip(slot, token)
				.flatMap((both) -> decide(both.getT1(), both.getT2(), bucket, leases, lease));
			return guarded("generation limit", releasedIfAbandoned(decision));
		});
	}

	/**
	 * @param slot whether the lease was taken, or why asking failed (the lease is then removed already)
	 * @param token the consumption probe, or why asking failed
	 */
	private Mono<Decision> decide(Object slot, Object token, Mono<AsyncBucketProxy> bucket, byte[] leases,
			byte[] lease) {
		boolean taken = Boolean.TRUE.equals(slot);
		boolean consumed = (token instanceof ConsumptionProbe probe) && probe.isConsumed();
		Mono<Void> slotBack = taken ? removeQuietly(leases, lease) : Mono.empty();
		Mono<Void> tokenBack = consumed ? refundQuietly(bucket) : Mono.empty();
		if (slot instanceof Throwable failure) {
			return tokenBack.then(Mono.error(failure));
		}
		if (token instanceof Throwable failure) {
			return slotBack.then(Mono.error(failure));
		}
		if (!taken) {
			return tokenBack.thenReturn(Decision.refused("concurrency", this.concurrencyRetryAfter));
		}
		if (!consumed) {
			Duration wait = Duration.ofNanos(((ConsumptionProbe) token).getNanosToWaitForRefill());
			return slotBack.thenReturn(Decision.refused("generation-rate", wait));
		}
		return Mono.just(held(leases, lease));
	}

	/** Gives a spent generation token back; a failure is logged only (the client has one token fewer). */
	private Mono<Void> refundQuietly(Mono<AsyncBucketProxy> bucket) {
		return bucket.flatMap((proxy) -> Mono.fromFuture(() -> proxy.addTokens(1)))
			.timeout(this.redis.timeout())
			.onErrorResume((failure) -> {
				this.failures.failed("token refund", failure);
				return Mono.empty();
			});
	}

	@Override
	public Mono<Quotas> quotas(ClientIdentity client) {
		int generationsPerMinute = client.generationsPerMinute();
		return guarded("quota lookup", Mono.zip(
				state("requests", ClientBandwidths.requestBucket(client), this.requestsPerMinute),
				state("generations", ClientBandwidths.generationBucket(client), generationsPerMinute))
			.map((both) -> new Quotas(this.requestsPerMinute, both.getT1().getAvailableTokens(),
					LocalClientLimiter.seconds(Duration.ofNanos(both.getT1().calculateFullRefillingTime())),
					generationsPerMinute, both.getT2().getAvailableTokens(),
					LocalClientLimiter.seconds(Duration.ofNanos(both.getT2().calculateFullRefillingTime())),
					ClientBandwidths.WINDOW.toSeconds())));
	}

	/** An admitted generation: its lease is renewed while it runs and removed once when it ends. */
	private Decision held(byte[] leases, byte[] lease) {
		Duration every = this.leaseLifetime.dividedBy(3);
		Disposable renewal = Flux.interval(every, every)
			.concatMap((tick) -> renew(leases, lease).onErrorResume((failure) -> {
				this.failures.failed("lease renewal", failure);
				return Mono.empty();
			}))
			.subscribe();
		AtomicBoolean released = new AtomicBoolean();
		return Decision.admitted(() -> {
			if (released.compareAndSet(false, true)) {
				renewal.dispose();
				removeQuietly(leases, lease).subscribe();
			}
		});
	}

	/**
	 * A decision that arrives after its caller gave up (cancelled, timed out) is released at once, so an
	 * abandoned admission never holds a slot until its lease expires.
	 */
	private static Mono<Decision> releasedIfAbandoned(Mono<Decision> decision) {
		return Mono.create((sink) -> {
			AtomicBoolean settled = new AtomicBoolean();
			decision.subscribe((value) -> {
				if (settled.compareAndSet(false, true)) {
					sink.success(value);
				}
				else {
					value.release();
				}
			}, (failure) -> {
				if (settled.compareAndSet(false, true)) {
					sink.error(failure);
				}
			}, () -> {
				if (settled.compareAndSet(false, true)) {
					sink.success();
				}
			});
			sink.onCancel(() -> settled.set(true));
		});
	}

	/**
	 * Takes a lease. When the answer does not come (a timeout) the script may still run later, so the lease is
	 * removed right after it: on the same connection Redis runs the two in order, whatever the outcome was.
	 */
	private Mono<Boolean> acquire(byte[] leases, byte[] lease, int cap) {
		return this.redis.<Long>run((commands) -> commands.eval(ACQUIRE, ScriptOutputType.INTEGER,
				new byte[][] { leases }, lease, utf8(Long.toString(this.leaseLifetime.toMillis())),
				utf8(Integer.toString(cap))))
			.map((taken) -> taken == 1L)
			.onErrorResume((failure) -> removeQuietly(leases, lease).then(Mono.error(failure)));
	}

	private Mono<Long> renew(byte[] leases, byte[] lease) {
		return this.redis.run((commands) -> commands.<Long>eval(RENEW, ScriptOutputType.INTEGER,
				new byte[][] { leases }, lease, utf8(Long.toString(this.leaseLifetime.toMillis()))));
	}

	/** Gives a lease back; a failure is logged only: the lease then expires by itself. */
	private Mono<Void> removeQuietly(byte[] leases, byte[] lease) {
		return this.redis.run((commands) -> commands.zrem(leases, lease)).then().onErrorResume((failure) -> {
			this.failures.failed("lease release", failure);
			return Mono.empty();
		});
	}

	private Mono<AsyncBucketProxy> bucket(String kind, String name, int perMinute) {
		byte[] key = utf8(this.keys.key("limits", kind, name));
		BucketConfiguration configuration = ClientBandwidths.configuration(perMinute);
		// Bucket4j talks to the connection itself: checked first, so that an outage fails at once here too.
		return this.redis.open().then(this.buckets).map((manager) -> manager.builder()
			.build(key, () -> CompletableFuture.completedFuture(configuration)));
	}

	private Mono<VerboseResult.Diagnostics> state(String kind, String name, int perMinute) {
		return bucket(kind, name, perMinute)
			.flatMap((bucket) -> Mono.fromFuture(() -> bucket.asVerbose().getAvailableTokens()))
			.map(VerboseResult::getDiagnostics);
	}

	/**
	 * Bounded by the command timeout; any failure becomes {@code 503 queue-unavailable}. The answer arrives on a
	 * Lettuce I/O thread: the request goes on on a Reactor thread, so that its work never holds up Redis I/O.
	 */
	private <T> Mono<T> guarded(String what, Mono<T> call) {
		return call.timeout(this.redis.timeout()).onErrorMap((failure) -> {
			this.failures.failed(what, failure);
			return RedisUnavailable.problem();
		}).publishOn(Schedulers.parallel());
	}

	byte[] leasesKey(ClientIdentity client) {
		return utf8(this.keys.key("leases", client.bucket()));
	}

	private static byte[] newLease() {
		byte[] id = new byte[16];
		ThreadLocalRandom.current().nextBytes(id);
		return utf8(HexFormat.of().formatHex(id));
	}

	private static byte[] utf8(String text) {
		return text.getBytes(StandardCharsets.UTF_8);
	}

}

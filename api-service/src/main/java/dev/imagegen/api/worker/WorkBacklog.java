package dev.imagegen.api.worker;

import java.time.Duration;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

import dev.imagegen.api.redis.RedisModeEnvironment;
import dev.imagegen.api.redis.RedisProperties;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;
import org.springframework.stereotype.Component;

/**
 * Redis mode: the work stream's backlog as gauges, {@code imagegen.redis.queue.depth} ({@code XLEN P:work}: entries
 * waiting or running, the figure the backlog bound compares with {@code QUEUE_CAPACITY} × live sessions) and
 * {@code imagegen.redis.queue.pending} (entries a worker has claimed and not yet acknowledged: running). Sampled on
 * a schedule, never per scrape: a scrape must not wait on Redis, and several replicas scraped often would multiply
 * the commands. While Redis does not answer, both gauges are NaN: a last value kept would show a backlog that may
 * no longer exist, and NaN (no sample) is what Prometheus shows for an unknown.
 */
@Component
@ConditionalOnBooleanProperty(RedisModeEnvironment.ENABLED)
class WorkBacklog implements DisposableBean {

	private static final Logger logger = LoggerFactory.getLogger(WorkBacklog.class);

	/** How often the backlog is read: a scrape interval's order, light on Redis. */
	static final Duration SAMPLE_EVERY = Duration.ofSeconds(5);

	private final ReactiveStringRedisTemplate redis;

	private final String workKey;

	private final Duration timeout;

	private volatile double depth = Double.NaN;

	private volatile double pending = Double.NaN;

	private volatile boolean failing;

	private final Disposable sampling;

	@Autowired
	WorkBacklog(ReactiveStringRedisTemplate redis, RedisProperties properties, RedisCommandTimeout timeout,
			MeterRegistry meters) {
		this(redis, properties.key("work"), timeout.duration(), SAMPLE_EVERY, meters);
	}

	/** For tests: another key and pace. */
	WorkBacklog(ReactiveStringRedisTemplate redis, String workKey, Duration timeout, Duration every,
			MeterRegistry meters) {
		this.redis = redis;
		this.workKey = workKey;
		this.timeout = timeout;
		Gauge.builder("imagegen.redis.queue.depth", this, (backlog) -> backlog.depth)
			.description("Entries in the Redis work stream, waiting or running (NaN while Redis does not answer)")
			.register(meters);
		Gauge.builder("imagegen.redis.queue.pending", this, (backlog) -> backlog.pending)
			.description("Entries of the Redis work stream a worker has claimed and not yet finished (running)")
			.register(meters);
		// One sample at a time (concatMap): a slow Redis delays the next one instead of piling them up.
		this.sampling = Flux.interval(Duration.ZERO, every, Schedulers.parallel())
			.onBackpressureDrop()
			.concatMap((tick) -> sample(), 1)
			.subscribe();
	}

	private Mono<Void> sample() {
		Mono<Long> length = this.redis.opsForStream().size(this.workKey);
		// No group yet (no worker and no entry so far): nothing is claimed.
		Mono<Long> claimed = this.redis.opsForStream()
			.pending(this.workKey, RedisDispatch.GROUP)
			.map((summary) -> summary.getTotalPendingMessages())
			.onErrorResume((failure) -> isNoGroup(failure), (failure) -> Mono.just(0L));
		return Mono.zip(length, claimed)
			.timeout(this.timeout)
			// Off the event loop: until Lettuce has connected once, Spring Data Redis connects blocking.
			.subscribeOn(Schedulers.boundedElastic())
			.doOnNext((both) -> {
				this.depth = both.getT1();
				this.pending = both.getT2();
				if (this.failing) {
					this.failing = false;
					logger.info("Redis: the work stream's backlog is read again");
				}
			})
			.doOnError((failure) -> {
				this.depth = Double.NaN;
				this.pending = Double.NaN;
				if (!this.failing) {
					this.failing = true;
					logger.warn("Redis: the work stream's backlog cannot be read ({}); its gauges are NaN until it can",
							failure.toString());
				}
			})
			.onErrorResume((failure) -> Mono.empty())
			.then();
	}

	private static boolean isNoGroup(Throwable failure) {
		for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
			String message = cause.getMessage();
			if (message != null && message.contains("NOGROUP")) {
				return true;
			}
		}
		return false;
	}

	@Override
	public void destroy() {
		this.sampling.dispose();
	}

}

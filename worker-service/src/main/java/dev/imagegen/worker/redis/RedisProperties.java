package dev.imagegen.worker.redis;

import java.time.Duration;

import jakarta.validation.constraints.NotNull;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * The worker's Redis-mode settings, bound from {@code imagegen.redis.*} ({@code application.yml} maps the
 * variables). The connection itself is Boot's ({@code spring.data.redis.url} from {@code REDIS_URL}); whether the
 * mode is on is {@link RedisModeEnvironment#ENABLED}.
 *
 * @param enabled whether {@code REDIS_URL} is set (decided by {@link RedisModeEnvironment})
 * @param prefix the start of every key, stream and channel ({@code REDIS_PREFIX}, default {@code imagegen:});
 * the API's must be the same
 * @param heartbeatTimeout how long the worker's heartbeat key lives, and how long an entry may sit unclaimed
 * before another worker takes it ({@code WORKER_HEARTBEAT_TIMEOUT}, default 15 s, at least 3 s)
 */
@Validated
@ConfigurationProperties("imagegen.redis")
public record RedisProperties(@DefaultValue("false") boolean enabled, @DefaultValue("imagegen:") @NotNull String prefix,
		@DefaultValue("15s") Duration heartbeatTimeout) {

	/** The shortest heartbeat timeout: refreshed every third of it, one refresh a second at most. */
	static final Duration MIN_HEARTBEAT_TIMEOUT = Duration.ofSeconds(3);

	/**
	 * Checks the heartbeat timeout, naming the variable at fault.
	 */
	public RedisProperties {
		if (heartbeatTimeout == null || heartbeatTimeout.compareTo(MIN_HEARTBEAT_TIMEOUT) < 0) {
			throw new IllegalArgumentException("WORKER_HEARTBEAT_TIMEOUT (imagegen.redis.heartbeat-timeout) must be "
					+ "at least 3s, but was " + heartbeatTimeout);
		}
	}

	/**
	 * How often the heartbeat is refreshed and a running entry re-claimed: a third of the timeout, so two
	 * refreshes may fail before the key expires.
	 * @return the period
	 */
	public Duration beat() {
		return this.heartbeatTimeout.dividedBy(3);
	}

	/**
	 * A key, stream or channel name under the prefix.
	 * @param parts the name's parts after the prefix, joined by {@code :} (e.g. {@code "result", gen})
	 * @return e.g. {@code imagegen:result:0f3a…}
	 */
	public String key(String... parts) {
		return this.prefix + String.join(":", parts);
	}

}

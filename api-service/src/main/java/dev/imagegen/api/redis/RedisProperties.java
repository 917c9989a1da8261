package dev.imagegen.api.redis;

import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * The Redis mode's settings, bound from {@code imagegen.redis.*} ({@code application.yml} maps the variables).
 * The connection itself is Boot's ({@code spring.data.redis.url} from {@code REDIS_URL}); whether the mode is on
 * is {@link RedisModeEnvironment#ENABLED}.
 *
 * @param enabled whether {@code REDIS_URL} is set (decided by {@link RedisModeEnvironment})
 * @param prefix the start of every key, stream and channel ({@code REDIS_PREFIX}, default {@code imagegen:})
 * @param queueCapacity entries waiting or running in the work stream per live worker session
 * ({@code QUEUE_CAPACITY}, default 16)
 */
@Validated
@ConfigurationProperties("imagegen.redis")
public record RedisProperties(@DefaultValue("false") boolean enabled,
		@DefaultValue("imagegen:") @NotNull String prefix,
		@DefaultValue("16") @Min(value = 1, message = "QUEUE_CAPACITY must be at least 1") int queueCapacity) {

	/**
	 * A key, stream or channel name under the prefix.
	 * @param parts the name's parts after the prefix, joined by {@code :} (e.g. {@code "result", gen})
	 * @return e.g. {@code imagegen:result:0f3a…}
	 */
	public String key(String... parts) {
		return this.prefix + String.join(":", parts);
	}

}

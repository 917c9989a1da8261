package dev.imagegen.api.worker;

import java.time.Duration;

import dev.imagegen.api.redis.RedisModeEnvironment;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.data.redis.autoconfigure.DataRedisProperties;
import org.springframework.stereotype.Component;

/**
 * Redis mode: how long the dispatch waits for one Redis command before it answers {@code 503 queue-unavailable}.
 * Lettuce has its own command timeout ({@code spring.data.redis.timeout}, 2 s); this is that plus a little, so that
 * Lettuce's own error normally comes first, and also bounds what Lettuce does not time out (a {@code SUBSCRIBE} queued
 * while disconnected).
 */
@Component
@ConditionalOnBooleanProperty(RedisModeEnvironment.ENABLED)
class RedisCommandTimeout {

	private final Duration duration;

	RedisCommandTimeout(DataRedisProperties properties) {
		Duration lettuce = (properties.getTimeout() != null) ? properties.getTimeout() : Duration.ofSeconds(2);
		this.duration = lettuce.plusMillis(500);
	}

	Duration duration() {
		return this.duration;
	}

}

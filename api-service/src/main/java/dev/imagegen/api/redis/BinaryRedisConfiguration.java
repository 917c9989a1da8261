package dev.imagegen.api.redis;

import java.time.Duration;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisClient;
import io.lettuce.core.codec.ByteArrayCodec;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * The binary Lettuce connection of the shared image cache and the shared client limits (Redis mode only).
 * It is Boot's own client (its URL, TLS, credentials and timeouts), with a connection of its own so that the
 * byte codec Bucket4j needs does not leak into the string-typed templates the other parts use.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnBooleanProperty(RedisModeEnvironment.ENABLED)
class BinaryRedisConfiguration {

	@Bean
	LazyRedisConnection binaryRedisConnection(LettuceConnectionFactory factory,
			@Value("${spring.data.redis.timeout:2s}") Duration timeout) {
		return new LazyRedisConnection(() -> {
			AbstractRedisClient client = factory.getNativeClient();
			if (!(client instanceof RedisClient standalone)) {
				throw new IllegalStateException("REDIS_URL must name a single Redis server (redis:// or rediss://)");
			}
			return standalone.connect(ByteArrayCodec.INSTANCE);
		}, timeout);
	}

}

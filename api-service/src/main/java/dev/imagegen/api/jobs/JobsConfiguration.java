package dev.imagegen.api.jobs;

import java.time.Clock;

import com.github.benmanes.caffeine.cache.Ticker;
import io.micrometer.core.instrument.MeterRegistry;
import tools.jackson.databind.json.JsonMapper;

import dev.imagegen.api.cache.ImageMemory;
import dev.imagegen.api.config.ApiProperties;
import dev.imagegen.api.generate.ImageGenerator;
import dev.imagegen.api.redis.RedisModeEnvironment;
import dev.imagegen.api.redis.RedisProperties;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.connection.ReactiveRedisConnectionFactory;

/**
 * Wires the jobs feature: the store (in memory, or in Redis when {@code REDIS_URL} is set), the API's job queue
 * and the service the routes and {@code Prefer: respond-async} on {@code /generate} use.
 */
@Configuration(proxyBeanMethods = false)
class JobsConfiguration {

	@Bean
	@ConditionalOnBooleanProperty(name = RedisModeEnvironment.ENABLED, havingValue = false, matchIfMissing = true)
	JobStore jobStore(JobsProperties properties, ObjectProvider<Ticker> ticker, ImageMemory memory) {
		// Tests supply a Ticker bean to move time by hand; production uses System.nanoTime.
		return new LocalJobStore(properties, ticker.getIfAvailable(Ticker::systemTicker), memory);
	}

	@Bean
	@ConditionalOnBooleanProperty(RedisModeEnvironment.ENABLED)
	RedisJobStore redisJobStore(ReactiveRedisConnectionFactory factory, RedisProperties redis,
			JobsProperties properties, ApiProperties api, JsonMapper jsonMapper, MeterRegistry meters) {
		return new RedisJobStore(factory, redis, properties, jsonMapper, api.worker().retryAfter(), Clock.systemUTC(),
				meters);
	}

	@Bean
	JobService jobService(ImageGenerator generator, JobStore store, JobsProperties properties, ApiProperties api,
			JsonMapper jsonMapper, MeterRegistry meters, ImageMemory memory) {
		return new JobService(generator, store, new JobQueue(properties.maxRunning()), jsonMapper, Clock.systemUTC(),
				meters, api.worker().timeout(), memory);
	}

}

package dev.imagegen.worker.redis;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.RedisClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import dev.imagegen.worker.browser.SessionPool;
import dev.imagegen.worker.config.WorkerProperties;
import dev.imagegen.worker.generate.Generations;
import dev.imagegen.worker.health.WorkerHealth;

/**
 * The worker's Redis-mode beans, only when {@code REDIS_URL} is set ({@link RedisModeEnvironment#ENABLED}):
 * without it the worker is exactly the direct-mode worker.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnBooleanProperty(RedisModeEnvironment.ENABLED)
class RedisModeConfiguration {

	@Bean
	RedisStatus redisStatus() {
		return new RedisStatus();
	}

	@Bean
	RedisMetrics redisMetrics(MeterRegistry registry) {
		return new RedisMetrics(registry);
	}

	@Bean
	WorkStream workStream(LettuceConnectionFactory factory, RedisProperties properties) {
		client(factory);
		return new WorkStream(() -> client(factory), properties);
	}

	private static RedisClient client(LettuceConnectionFactory factory) {
		AbstractRedisClient client = factory.getNativeClient();
		if (!(client instanceof RedisClient redis)) {
			throw new IllegalStateException("REDIS_URL must name one Redis server (standalone); this client is "
					+ ((client != null) ? client.getClass().getSimpleName() : "not started"));
		}
		return redis;
	}

	@Bean
	RedisWorker redisWorker(SessionPool pool, Generations generations, WorkerHealth health, WorkStream stream,
			RedisProperties properties, WorkerProperties worker, RedisStatus status, RedisMetrics metrics,
			JsonMapper json, ObjectProvider<ObservationRegistry> observations, Environment environment) {
		return new RedisWorker(pool, generations, health, stream, properties, worker, status, metrics, json,
				observations.getIfAvailable(() -> ObservationRegistry.NOOP), environment);
	}

}

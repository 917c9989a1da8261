package dev.imagegen.api.clients;

import io.github.bucket4j.TimeMeter;
import io.micrometer.core.instrument.MeterRegistry;
import tools.jackson.databind.json.JsonMapper;

import dev.imagegen.api.config.ApiProperties;
import dev.imagegen.api.redis.LazyRedisConnection;
import dev.imagegen.api.redis.RedisModeEnvironment;
import dev.imagegen.api.redis.RedisProperties;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Wires client identity and limits: the keys file, the trusted proxies, the limiter (in memory, or shared
 * through Redis in the Redis mode), the filter that applies the request rate and the gate that applies the
 * generation limits.
 */
@Configuration(proxyBeanMethods = false)
class ClientsConfiguration {

	@Bean
	ApiKeyStore apiKeyStore(ClientsProperties properties, JsonMapper jsonMapper) {
		return new ApiKeyStore(properties.apiKeysFile(), jsonMapper, properties);
	}

	@Bean
	@ConditionalOnBooleanProperty(name = RedisModeEnvironment.ENABLED, havingValue = false, matchIfMissing = true)
	ClientLimiter clientLimiter(ClientsProperties properties, ObjectProvider<TimeMeter> clock) {
		// Tests supply a TimeMeter bean to move time by hand; production counts in System.nanoTime.
		return new LocalClientLimiter(properties, clock.getIfAvailable(() -> TimeMeter.SYSTEM_NANOTIME));
	}

	@Bean
	@ConditionalOnBooleanProperty(RedisModeEnvironment.ENABLED)
	ClientLimiter sharedClientLimiter(ClientsProperties properties, LazyRedisConnection redis, RedisProperties keys,
			ApiProperties api) {
		// A lease outlives its generation's longest worker call only if its replica died without giving it back.
		return new RedisClientLimiter(properties, redis, keys, api.worker().timeout());
	}

	@Bean
	TrustedProxies trustedProxies(ClientsProperties properties) {
		return TrustedProxies.parse(properties.trustedProxies());
	}

	@Bean
	ClientFilter clientFilter(ApiKeyStore keys, ClientsProperties properties, TrustedProxies proxies,
			ClientLimiter limiter, MeterRegistry meters) {
		return new ClientFilter(new ClientResolver(keys, proxies, properties), limiter, properties.requestsPerMinute(),
				meters);
	}

	@Bean
	GenerationGate generationGate(ClientLimiter limiter, MeterRegistry meters) {
		return new GenerationGate(limiter, meters);
	}

}

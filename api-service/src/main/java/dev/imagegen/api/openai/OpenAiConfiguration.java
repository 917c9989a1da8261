package dev.imagegen.api.openai;

import com.github.benmanes.caffeine.cache.Ticker;
import io.micrometer.core.instrument.MeterRegistry;

import dev.imagegen.api.clients.TrustedProxies;
import dev.imagegen.api.cache.ImageMemory;
import dev.imagegen.api.redis.LazyRedisConnection;
import dev.imagegen.api.redis.RedisModeEnvironment;
import dev.imagegen.api.redis.RedisProperties;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Wires the OpenAI-compatible API: the store behind its image URLs (in memory on one box; in the Redis mode
 * ({@code REDIS_URL}) the same store in front of a shared one in Redis) and how their host is found.
 */
@Configuration(proxyBeanMethods = false)
class OpenAiConfiguration {

	@Bean
	@ConditionalOnBooleanProperty(name = RedisModeEnvironment.ENABLED, havingValue = false, matchIfMissing = true)
	UrlImages urlImages(OpenAiProperties properties, ObjectProvider<Ticker> ticker, MeterRegistry meters,
			ImageMemory memory) {
		return local(properties, ticker, meters, memory);
	}

	@Bean
	@ConditionalOnBooleanProperty(RedisModeEnvironment.ENABLED)
	UrlImages sharedUrlImages(OpenAiProperties properties, ObjectProvider<Ticker> ticker, MeterRegistry meters,
			RedisProperties redis, LazyRedisConnection connection, ImageMemory memory) {
		return new SharedUrlImages(local(properties, ticker, meters, memory), new RedisUrlImageTier(connection, redis));
	}

	private static UrlImageStore local(OpenAiProperties properties, ObjectProvider<Ticker> ticker,
			MeterRegistry meters, ImageMemory memory) {
		// Tests supply a Ticker bean to move time by hand; production uses System.nanoTime.
		return new UrlImageStore(properties, ticker.getIfAvailable(Ticker::systemTicker), meters, memory);
	}

	@Bean
	PublicBaseUrl publicBaseUrl(TrustedProxies proxies) {
		return new PublicBaseUrl(proxies);
	}

}

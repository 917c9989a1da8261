package dev.imagegen.api.cache;

import com.github.benmanes.caffeine.cache.Ticker;
import io.micrometer.core.instrument.MeterRegistry;

import dev.imagegen.api.redis.LazyRedisConnection;
import dev.imagegen.api.redis.RedisModeEnvironment;
import dev.imagegen.api.redis.RedisProperties;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Wires the image cache and single-flight: the in-memory cache on one box; in the Redis mode
 * ({@code REDIS_URL}) the same cache in front of the shared tier in Redis.
 */
@Configuration(proxyBeanMethods = false)
class CacheConfiguration {

	@Bean
	@ConditionalOnBooleanProperty(name = RedisModeEnvironment.ENABLED, havingValue = false, matchIfMissing = true)
	ImageCache imageCache(CacheProperties properties, ObjectProvider<Ticker> ticker, MeterRegistry meters,
			ImageMemory memory) {
		return local(properties, ticker, meters, memory);
	}

	@Bean
	@ConditionalOnBooleanProperty(RedisModeEnvironment.ENABLED)
	ImageCache sharedImageCache(CacheProperties properties, ObjectProvider<Ticker> ticker, MeterRegistry meters,
			RedisProperties redis, LazyRedisConnection connection, ImageMemory memory) {
		LocalImageCache local = local(properties, ticker, meters, memory);
		// IMAGE_CACHE_SIZE=0 turns caching off in both modes.
		if (!local.enabled()) {
			return local;
		}
		return new TieredImageCache(local, new RedisImageTier(connection, redis, properties.ttl()),
				System::currentTimeMillis, meters);
	}

	private static LocalImageCache local(CacheProperties properties, ObjectProvider<Ticker> ticker,
			MeterRegistry meters, ImageMemory memory) {
		// Tests supply a Ticker bean to move time by hand; production uses System.nanoTime.
		return new LocalImageCache(properties, ticker.getIfAvailable(Ticker::systemTicker), meters, memory);
	}

	/** The direct memory budget all kept images share: the cache's, the OpenAI URLs' and retained jobs'. */
	@Bean
	ImageMemory imageMemory(MeterRegistry meters) {
		return ImageMemory.forThisJvm(meters);
	}

	@Bean
	SingleFlight singleFlight(MeterRegistry meters) {
		return new SingleFlight(meters);
	}

}

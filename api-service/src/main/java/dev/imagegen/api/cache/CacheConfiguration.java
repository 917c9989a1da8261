package dev.imagegen.api.cache;

import com.github.benmanes.caffeine.cache.Ticker;
import io.micrometer.core.instrument.MeterRegistry;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Wires the image cache and single-flight.
 */
@Configuration(proxyBeanMethods = false)
class CacheConfiguration {

	@Bean
	ImageCache imageCache(CacheProperties properties, ObjectProvider<Ticker> ticker, MeterRegistry meters) {
		// Tests supply a Ticker bean to move time by hand; production uses System.nanoTime.
		return new LocalImageCache(properties, ticker.getIfAvailable(Ticker::systemTicker), meters);
	}

	@Bean
	SingleFlight singleFlight(MeterRegistry meters) {
		return new SingleFlight(meters);
	}

}

package dev.imagegen.api.openai;

import com.github.benmanes.caffeine.cache.Ticker;
import io.micrometer.core.instrument.MeterRegistry;

import dev.imagegen.api.clients.TrustedProxies;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Wires the OpenAI-compatible API: the store behind its image URLs and how their host is found.
 */
@Configuration(proxyBeanMethods = false)
class OpenAiConfiguration {

	@Bean
	UrlImageStore urlImageStore(OpenAiProperties properties, ObjectProvider<Ticker> ticker, MeterRegistry meters) {
		// Tests supply a Ticker bean to move time by hand; production uses System.nanoTime.
		return new UrlImageStore(properties, ticker.getIfAvailable(Ticker::systemTicker), meters);
	}

	@Bean
	PublicBaseUrl publicBaseUrl(TrustedProxies proxies) {
		return new PublicBaseUrl(proxies);
	}

}

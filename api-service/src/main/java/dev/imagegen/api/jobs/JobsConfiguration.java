package dev.imagegen.api.jobs;

import java.time.Clock;

import com.github.benmanes.caffeine.cache.Ticker;
import io.micrometer.core.instrument.MeterRegistry;
import tools.jackson.databind.json.JsonMapper;

import dev.imagegen.api.generate.ImageGenerator;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Wires the jobs feature: the in-memory store, the API's job queue and the service the routes and
 * {@code Prefer: respond-async} on {@code /generate} use.
 */
@Configuration(proxyBeanMethods = false)
class JobsConfiguration {

	@Bean
	JobStore jobStore(JobsProperties properties, ObjectProvider<Ticker> ticker) {
		// Tests supply a Ticker bean to move time by hand; production uses System.nanoTime.
		return new LocalJobStore(properties, ticker.getIfAvailable(Ticker::systemTicker));
	}

	@Bean
	JobService jobService(ImageGenerator generator, JobStore store, JobsProperties properties, JsonMapper jsonMapper,
			MeterRegistry meters) {
		return new JobService(generator, store, new JobQueue(properties.maxRunning()), jsonMapper, Clock.systemUTC(),
				meters);
	}

}

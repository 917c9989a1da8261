package dev.imagegen.api.worker;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import dev.imagegen.api.ApiApplication;
import dev.imagegen.testsupport.TestRedis;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.http.client.ReactorResourceFactory;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * One API replica in the Redis mode, started the way an operator starts it ({@code REDIS_URL} set, no
 * {@code PERCHANCE_WORKER_URL}): the mode is decided before the context exists, which a test's dynamic properties
 * would be too late for. Close it to stop it.
 */
final class RedisModeApi implements AutoCloseable {

	private final ConfigurableApplicationContext context;

	private final ReactorResourceFactory resources;

	private RedisModeApi(ConfigurableApplicationContext context, ReactorResourceFactory resources) {
		this.context = context;
		this.resources = resources;
	}

	static RedisModeApi start(TestRedis redis, String... properties) {
		List<String> all = new ArrayList<>(List.of("PORT=0", "server.address=127.0.0.1", "REDIS_URL=" + redis.url()));
		all.addAll(List.of(properties));
		// Event loops and connection pool of its own: Boot's default shares Reactor Netty's global ones and disposes
		// them when a context closes, which would cut off every other context of this JVM (the cached test contexts).
		ReactorResourceFactory resources = new ReactorResourceFactory();
		resources.setUseGlobalResources(false);
		resources.afterPropertiesSet();
		try {
			ConfigurableApplicationContext context = new SpringApplicationBuilder(ApiApplication.class)
				.properties(all.toArray(String[]::new))
				.initializers((ConfigurableApplicationContext created) -> created.getBeanFactory()
					.registerSingleton("reactorResourceFactory", resources))
				.run();
			return new RedisModeApi(context, resources);
		}
		catch (RuntimeException ex) {
			resources.destroy();
			throw ex;
		}
	}

	ConfigurableApplicationContext context() {
		return this.context;
	}

	int port() {
		return ((WebServerApplicationContext) this.context).getWebServer().getPort();
	}

	String baseUrl() {
		return "http://127.0.0.1:" + port();
	}

	WebTestClient client() {
		return WebTestClient.bindToServer().baseUrl(baseUrl()).responseTimeout(Duration.ofSeconds(30)).build();
	}

	<T> T bean(Class<T> type) {
		return this.context.getBean(type);
	}

	@Override
	public void close() {
		try {
			this.context.close();
		}
		finally {
			this.resources.destroy();
		}
	}

}

package dev.imagegen.api.redis;

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

import static org.awaitility.Awaitility.await;

/**
 * One API replica in the Redis mode, started the way an operator starts it ({@code REDIS_URL} set, no
 * {@code PERCHANCE_WORKER_URL}): the mode is decided before the context exists, which a test's dynamic properties
 * would be too late for, and no system property is set (nothing can leak into another test class's context). Every
 * Redis-mode test of the API starts its replicas this way; two of them on one Redis are two replicas. Close it to
 * stop it.
 */
public final class RedisModeApi implements AutoCloseable {

	private final ConfigurableApplicationContext context;

	private final ReactorResourceFactory resources;

	private RedisModeApi(ConfigurableApplicationContext context, ReactorResourceFactory resources) {
		this.context = context;
		this.resources = resources;
	}

	/**
	 * Starts a replica and waits until it serves.
	 * @param redis the Redis it uses ({@code REDIS_URL})
	 * @param properties more {@code NAME=value} settings (environment variables or Spring properties)
	 * @return the running replica
	 */
	public static RedisModeApi start(TestRedis redis, String... properties) {
		List<String> all = new ArrayList<>(List.of("PORT=0", "server.address=127.0.0.1", "REDIS_URL=" + redis.url()));
		all.addAll(List.of(properties));
		// Event loops and connection pool of its own: Boot's default shares Reactor Netty's global ones and disposes
		// them when a context closes, which would cut off every other context of this JVM (the cached test contexts).
		ReactorResourceFactory resources = new ReactorResourceFactory();
		resources.setUseGlobalResources(false);
		resources.afterPropertiesSet();
		try {
			ConfigurableApplicationContext context = new SpringApplicationBuilder(ApiApplication.class)
				.initializers((ConfigurableApplicationContext created) -> created.getBeanFactory()
					.registerSingleton("reactorResourceFactory", resources))
				// As command-line arguments: they win over the application's and the tests' config files, as
				// @SpringBootTest properties do (default properties would lose to every placeholder-free setting).
				.run(all.stream().map((property) -> "--" + property).toArray(String[]::new));
			return new RedisModeApi(context, resources);
		}
		catch (RuntimeException ex) {
			resources.destroy();
			throw ex;
		}
	}

	/** @return the replica's application context */
	public ConfigurableApplicationContext context() {
		return this.context;
	}

	/** @return the port it listens on (loopback) */
	public int port() {
		return ((WebServerApplicationContext) this.context).getWebServer().getPort();
	}

	/** @return its base URL */
	public String baseUrl() {
		return "http://127.0.0.1:" + port();
	}

	/** @return a client of its HTTP port */
	public WebTestClient client() {
		return WebTestClient.bindToServer().baseUrl(baseUrl()).responseTimeout(Duration.ofSeconds(30)).build();
	}

	/** @return its bean of that type */
	public <T> T bean(Class<T> type) {
		return this.context.getBean(type);
	}

	/**
	 * Waits until {@code /health} lists the worker: the replica reads the heartbeats at most a second late, and a
	 * generation before that finds no live worker.
	 * @param worker the worker's id
	 */
	public void awaitWorker(String worker) {
		WebTestClient client = client();
		await().atMost(Duration.ofSeconds(10))
			.untilAsserted(() -> client.get()
				.uri("/health")
				.exchange()
				.expectBody()
				.jsonPath("$.workers[?(@.id == '" + worker + "')]")
				.exists());
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

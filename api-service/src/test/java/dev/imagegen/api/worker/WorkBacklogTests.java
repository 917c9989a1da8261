package dev.imagegen.api.worker;

import java.time.Duration;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.imagegen.api.redis.RedisWorkerDouble;
import dev.imagegen.testsupport.TestRedis;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceClientConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.ReactiveStringRedisTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The work stream's backlog gauges against a real Redis: entries waiting or running, the claimed ones, and NaN
 * while Redis does not answer.
 */
class WorkBacklogTests {

	private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

	private TestRedis redis;

	private LettuceConnectionFactory connections;

	private RedisWorkerDouble worker;

	private WorkBacklog backlog;

	@BeforeEach
	void start() {
		this.redis = TestRedis.start();
		this.connections = new LettuceConnectionFactory(new RedisStandaloneConfiguration("127.0.0.1", this.redis.port()),
				LettuceClientConfiguration.builder().commandTimeout(Duration.ofSeconds(1)).build());
		this.connections.afterPropertiesSet();
		this.connections.start();
		this.worker = new RedisWorkerDouble(this.redis.url());
		// Sampled every 100 ms here (5 s in the API), so that each state is seen quickly.
		this.backlog = new WorkBacklog(new ReactiveStringRedisTemplate(this.connections),
				RedisWorkerDouble.PREFIX + "work", Duration.ofSeconds(1), Duration.ofMillis(100), this.meters);
	}

	@AfterEach
	void stop() {
		this.backlog.destroy();
		this.worker.close();
		this.connections.destroy();
		this.redis.close();
	}

	private double gauge(String name) {
		return this.meters.get(name).gauge().value();
	}

	private void awaitBacklog(double depth, double pending) {
		await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
			assertThat(gauge("imagegen.redis.queue.depth")).isEqualTo(depth);
			assertThat(gauge("imagegen.redis.queue.pending")).isEqualTo(pending);
		});
	}

	@Test
	void theGaugesFollowTheEntriesWaitingAndClaimed() {
		// No stream and no consumer group yet: an empty backlog, not an error.
		awaitBacklog(0, 0);

		this.worker.addDummyEntries(3);
		awaitBacklog(3, 0);

		RedisWorkerDouble.Entry taken = this.worker.take("worker-a", Duration.ofSeconds(5));
		assertThat(taken).isNotNull();
		awaitBacklog(3, 1);

		this.worker.discardWaiting();
		awaitBacklog(0, 1);
	}

	@Test
	void theGaugesAreNanWhileRedisIsDownAndComeBackWithIt() {
		this.worker.addDummyEntries(2);
		awaitBacklog(2, 0);

		this.redis.pause();
		await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
			assertThat(gauge("imagegen.redis.queue.depth")).isNaN();
			assertThat(gauge("imagegen.redis.queue.pending")).isNaN();
		});

		// Redis comes back empty (nothing persists in the test server).
		this.redis.resume();
		awaitBacklog(0, 0);
	}

}

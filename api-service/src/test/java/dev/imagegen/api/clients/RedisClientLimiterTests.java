package dev.imagegen.api.clients;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.imagegen.api.problem.ApiProblem;
import dev.imagegen.api.problem.ProblemTypes;
import dev.imagegen.api.redis.LazyRedisConnection;
import dev.imagegen.api.redis.RedisProperties;
import dev.imagegen.testsupport.TestRedis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The shared client limits against a real Redis: two limiters stand for two API replicas and must count one
 * client as one. Each test is a client of its own, so the buckets and leases of one never touch another.
 */
class RedisClientLimiterTests {

	static final TestRedis REDIS = TestRedis.start();

	static final RedisClient CLIENT = RedisClient.create(REDIS.url());

	static final StatefulRedisConnection<String, String> VERIFY = CLIENT.connect();

	static final RedisProperties KEYS = new RedisProperties(true, "limits-test:", 16);

	/** 5 requests per minute, concurrency retry-after 3 s. */
	static final ClientsProperties PROPERTIES = new ClientsProperties("", false, "", 10, 2, 60, 4, 5, null,
			Duration.ofSeconds(3));

	private final List<LazyRedisConnection> connections = new ArrayList<>();

	@AfterAll
	static void stopRedis() {
		VERIFY.close();
		CLIENT.shutdown();
		REDIS.close();
	}

	@AfterEach
	void closeConnections() {
		this.connections.forEach(LazyRedisConnection::close);
	}

	/** One replica's limiter, with a connection of its own. */
	private RedisClientLimiter replica(Duration leaseLifetime) {
		return replica(leaseLifetime, Duration.ofSeconds(2));
	}

	private RedisClientLimiter replica(Duration leaseLifetime, Duration timeout) {
		LazyRedisConnection connection = new LazyRedisConnection(() -> CLIENT.connect(ByteArrayCodec.INSTANCE),
				timeout);
		this.connections.add(connection);
		return new RedisClientLimiter(PROPERTIES, connection, KEYS, leaseLifetime);
	}

	private RedisClientLimiter replica() {
		return replica(Duration.ofMinutes(2));
	}

	private static ClientIdentity client(String address, int generationsPerMinute, int maxConcurrent) {
		return new ClientIdentity("anonymous", "anonymous", "ip:" + address, generationsPerMinute, maxConcurrent);
	}

	private static RedisCommands<String, String> redis() {
		return VERIFY.sync();
	}

	private static String leases(ClientIdentity client) {
		return KEYS.key("leases", client.bucket());
	}

	private static ClientLimiter.Decision decide(reactor.core.publisher.Mono<ClientLimiter.Decision> decision) {
		return decision.block(Duration.ofSeconds(10));
	}

	@Test
	void twoReplicasShareOneRequestRate() {
		RedisClientLimiter first = replica();
		RedisClientLimiter second = replica();
		ClientIdentity client = client("198.51.100.1", 10, 2);
		for (int i = 0; i < 5; i++) {
			RedisClientLimiter limiter = (i % 2 == 0) ? first : second;
			assertThat(decide(limiter.tryRequest(client)).admitted()).as("request %d", i + 1).isTrue();
		}
		ClientLimiter.Decision refused = decide(second.tryRequest(client));

		assertThat(refused.admitted()).isFalse();
		assertThat(refused.reason()).isEqualTo("request-rate");
		// Greedy refill: 5 per minute frees one every 12 s.
		assertThat(refused.retryAfter()).isPositive().isLessThanOrEqualTo(Duration.ofSeconds(12));
		assertThat(redis().exists(KEYS.key("limits", "requests", client.bucket()))).isEqualTo(1);

		ClientLimiter.Quotas quotas = first.quotas(client).block(Duration.ofSeconds(10));
		assertThat(quotas.requestsLimit()).isEqualTo(5);
		assertThat(quotas.requestsRemaining()).isZero();
		assertThat(quotas.requestsReset()).isBetween(1L, 60L);
		assertThat(quotas.generationsRemaining()).isEqualTo(10);
		assertThat(quotas.windowSeconds()).isEqualTo(60);
	}

	@Test
	void twoReplicasShareOneGenerationRateAndARefusedTokenGivesTheSlotBack() {
		RedisClientLimiter first = replica();
		RedisClientLimiter second = replica();
		ClientIdentity client = client("198.51.100.2", 3, 10);
		for (int i = 0; i < 3; i++) {
			ClientLimiter.Decision decision = decide(((i % 2 == 0) ? first : second).tryStartGeneration(client));
			assertThat(decision.admitted()).as("generation %d", i + 1).isTrue();
			decision.release();
		}
		ClientLimiter.Decision refused = decide(first.tryStartGeneration(client));

		assertThat(refused.admitted()).isFalse();
		assertThat(refused.reason()).isEqualTo("generation-rate");
		assertThat(refused.retryAfter()).isPositive().isLessThanOrEqualTo(Duration.ofSeconds(20));
		await().atMost(Duration.ofSeconds(10)).until(() -> redis().zcard(leases(client)) == 0);
	}

	@Test
	void twoReplicasShareOneConcurrencyCapAndAReleaseFreesTheSlot() {
		RedisClientLimiter first = replica();
		RedisClientLimiter second = replica();
		ClientIdentity client = client("198.51.100.3", 60, 2);
		ClientLimiter.Decision one = decide(first.tryStartGeneration(client));
		ClientLimiter.Decision two = decide(second.tryStartGeneration(client));
		ClientLimiter.Decision three = decide(first.tryStartGeneration(client));

		assertThat(one.admitted()).isTrue();
		assertThat(two.admitted()).isTrue();
		assertThat(three.admitted()).isFalse();
		assertThat(three.reason()).isEqualTo("concurrency");
		assertThat(three.retryAfter()).isEqualTo(Duration.ofSeconds(3));
		assertThat(redis().zcard(leases(client))).isEqualTo(2);
		// The refusal spent no token.
		assertThat(first.quotas(client).block(Duration.ofSeconds(10)).generationsRemaining()).isEqualTo(58);

		two.release();
		two.release();
		await().atMost(Duration.ofSeconds(10)).until(() -> redis().zcard(leases(client)) == 1);
		assertThat(decide(first.tryStartGeneration(client)).admitted()).isTrue();
		assertThat(decide(second.tryStartGeneration(client)).admitted()).isFalse();
	}

	@Test
	void theLeaseOfAReplicaThatDiedExpiresAndFreesTheSlot() {
		RedisClientLimiter limiter = replica();
		ClientIdentity client = client("198.51.100.4", 60, 1);
		// A replica that crashed holding a lease: nobody renews or removes it. Long gone, and about to go.
		redis().eval("local t = redis.call('TIME'); local now = t[1] * 1000 + math.floor(t[2] / 1000);"
				+ " redis.call('ZADD', KEYS[1], now - 1000, 'gone', now + 1500, 'dying')",
				io.lettuce.core.ScriptOutputType.STATUS, leases(client));

		assertThat(decide(limiter.tryStartGeneration(client)).reason()).isEqualTo("concurrency");
		assertThat(redis().zrange(leases(client), 0, -1)).containsExactly("dying");
		await().atMost(Duration.ofSeconds(10))
			.pollInterval(Duration.ofMillis(100))
			.until(() -> decide(limiter.tryStartGeneration(client)).admitted());
	}

	@Test
	void aHeldLeaseIsRenewedWhileItsGenerationRuns() {
		RedisClientLimiter limiter = replica(Duration.ofMillis(900));
		ClientIdentity client = client("198.51.100.5", 60, 1);
		ClientLimiter.Decision held = decide(limiter.tryStartGeneration(client));
		assertThat(held.admitted()).isTrue();
		String lease = redis().zrange(leases(client), 0, -1).get(0);
		double first = redis().zscore(leases(client), lease);

		await().atMost(Duration.ofSeconds(10)).until(() -> {
			Double now = redis().zscore(leases(client), lease);
			return now != null && now > first + 500;
		});
		// Well past its first expiry, still held: the cap still counts it.
		assertThat(decide(limiter.tryStartGeneration(client)).reason()).isEqualTo("concurrency");
		held.release();
		await().atMost(Duration.ofSeconds(10)).until(() -> redis().zcard(leases(client)) == 0);
	}

	@Test
	void anAdmissionThatCameTooLateGivesItsLeaseBack() {
		RedisClientLimiter limiter = replica(Duration.ofMinutes(2), Duration.ofMillis(300));
		ClientIdentity client = client("198.51.100.7", 60, 1);
		assertThat(decide(limiter.tryRequest(client)).admitted()).isTrue();

		// Redis holds every command for a second: the caller gives up after 300 ms, while the lease script is
		// already in Redis and runs when the pause ends.
		redis().clientPause(1000);
		assertThatThrownBy(() -> decide(limiter.tryStartGeneration(client))).isInstanceOf(ApiProblem.class);

		// Without the release the late lease would hold the only slot (renewed) for as long as the replica runs.
		await().atMost(Duration.ofSeconds(10))
			.pollInterval(Duration.ofMillis(100))
			.until(() -> redis().zcard(leases(client)) == 0);
		ClientLimiter.Decision next = decide(limiter.tryStartGeneration(client));
		assertThat(next.admitted()).isTrue();
		next.release();
	}

	@Test
	void redisDownIsQueueUnavailableThenItWorksAgain() {
		RedisClientLimiter limiter = replica();
		ClientIdentity client = client("198.51.100.6", 60, 2);
		assertThat(decide(limiter.tryRequest(client)).admitted()).isTrue();
		REDIS.pause();
		try {
			for (reactor.core.publisher.Mono<?> call : List.of(limiter.tryRequest(client),
					limiter.tryStartGeneration(client), limiter.quotas(client))) {
				assertThatThrownBy(() -> call.block(Duration.ofSeconds(10))).isInstanceOfSatisfying(ApiProblem.class,
						(problem) -> {
							assertThat(problem.status()).isEqualTo(503);
							assertThat(problem.type()).isEqualTo(ProblemTypes.QUEUE_UNAVAILABLE);
							assertThat(problem.retryAfter()).isEqualTo(Duration.ofSeconds(5));
						});
			}
			// A replica that never reached Redis fails the same way, in time.
			assertThatThrownBy(() -> decide(replica().tryRequest(client))).isInstanceOf(ApiProblem.class);
		}
		finally {
			REDIS.resume();
		}
		await().atMost(Duration.ofSeconds(60))
			.pollInterval(Duration.ofMillis(200))
			.ignoreExceptions()
			.until(() -> decide(limiter.tryRequest(client)).admitted());
	}

}

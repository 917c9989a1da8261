package dev.imagegen.worker.redis;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;

import io.lettuce.core.Consumer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.TransactionResult;
import io.lettuce.core.XClaimArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.TestPropertySource;

import dev.imagegen.testsupport.TestRedis;
import dev.imagegen.worker.support.Emulator;
import dev.imagegen.worker.support.WorkerTestBase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The worker in the Redis mode against a real Redis and real Chromium on the emulator: entries added as the API
 * adds them are run through the same path as {@code POST /generate}, their results stored and announced on the
 * wire of docs/architecture.md; expired and cancelled entries never reach Perchance; a dead consumer's entry is
 * claimed after the heartbeat timeout (3 s here); the loop outlives a Redis outage; the heartbeat lives with the
 * worker.
 */
@TestPropertySource(properties = { "imagegen.test.context=redis", "imagegen.redis.heartbeat-timeout=3s" })
@DirtiesContext
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ExtendWith(OutputCaptureExtension.class)
class RedisModeTests extends WorkerTestBase {

	private static TestRedis redis;

	private static final String PREFIX = "imagegen:";

	private static final String STREAM = PREFIX + "work";

	// Set once the context stops Redis itself, after its own beans (the worker deletes its heartbeat first).
	private static volatile boolean closedByContext;

	@Autowired
	private ConfigurableApplicationContext applicationContext;

	@Autowired
	private RedisWorker worker;

	@Autowired
	private io.micrometer.core.instrument.MeterRegistry meters;

	private RedisClient client;

	private StatefulRedisConnection<String, String> connection;

	private StatefulRedisConnection<String, byte[]> bytes;

	private StatefulRedisPubSubConnection<String, String> pubsub;

	private final List<String> messages = new CopyOnWriteArrayList<>();

	/**
	 * Starts Redis and points the worker at it. A system property, not a {@code @DynamicPropertySource}: the
	 * mode is decided by an environment post-processor, which runs before dynamic properties are added.
	 */
	@BeforeAll
	static void startRedis() {
		redis = TestRedis.start();
		System.setProperty("spring.data.redis.url", redis.url());
	}

	@BeforeEach
	void connect() {
		if (!closedByContext) {
			DisposableBean closer = () -> redis.close();
			this.applicationContext.getBeanFactory().registerSingleton("testRedisCloser", closer);
			closedByContext = true;
		}
		this.client = RedisClient.create(redis.url());
		this.connection = this.client.connect();
		this.bytes = this.client.connect(RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE));
		this.pubsub = this.client.connectPubSub();
		this.pubsub.addListener(new RedisPubSubAdapter<>() {

			@Override
			public void message(String channel, String message) {
				RedisModeTests.this.messages.add(message);
			}

		});
	}

	@AfterEach
	void disconnect() {
		this.client.shutdown();
	}

	@AfterAll
	static void stopRedis() {
		System.clearProperty("spring.data.redis.url");
		if (!closedByContext) {
			redis.close();
		}
	}

	@Test
	@Order(1)
	void anEntryIsGeneratedStoredAndAnnouncedWithTheBytesHttpWouldAnswer(CapturedOutput output) {
		String gen = gen();
		subscribe(gen);
		String request = "{\"prompt\":\"a fox in redis\",\"seed\":4242}";

		add(gen, "req-redis-1", request, System.currentTimeMillis() + 30_000);

		await().atMost(Duration.ofSeconds(30)).until(() -> this.messages.stream().anyMatch((m) -> m.contains("\"result\"")));
		Map<String, byte[]> result = result(gen);
		assertThat(text(result, "status")).isEqualTo("200");
		assertThat(text(result, "contentType")).isEqualTo("image/png");
		assertThat(text(result, "seed")).isEqualTo("4242");
		assertThat(text(result, "worker")).isEqualTo(this.worker.workerId());
		assertThat(this.connection.sync().ttl(PREFIX + "result:" + gen)).isBetween(3500L, 3600L);

		List<JsonNode> events = this.messages.stream().map(JSON::readTree).toList();
		JsonNode last = events.get(events.size() - 1);
		assertThat(last.path("type").asString()).isEqualTo("result");
		assertThat(last.path("status").asInt()).isEqualTo(200);
		assertThat(last.path("worker").asString()).isEqualTo(this.worker.workerId());
		List<JsonNode> progress = events.subList(0, events.size() - 1);
		assertThat(progress).allSatisfy((event) -> {
			assertThat(event.path("type").asString()).isEqualTo("progress");
			assertThat(event.path("requestId").asString()).isEqualTo("req-redis-1");
			assertThat(event.path("worker").asString()).isEqualTo(this.worker.workerId());
			assertThat(event.has("queuePosition")).isTrue();
			assertThat(event.has("upstreamQueuePosition")).isTrue();
		});
		assertThat(progress.stream().map((e) -> e.path("phase").asString()))
			.contains("starting", "generating", "downloading", "done");
		await().atMost(Duration.ofSeconds(5)).until(() -> this.connection.sync().xlen(STREAM) == 0);
		// One access line for the entry, as HTTP has one per request; the prompt is not in it.
		await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(accessLines(output, "req-redis-1"))
			.singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
			.contains("entry=", "outcome=done status=200 problem=- durationMs=")
			.doesNotContain("a fox in redis"));

		HttpResponse<byte[]> http = generate(request);
		assertThat(http.statusCode()).isEqualTo(200);
		assertThat(result.get("image")).isEqualTo(http.body());
	}

	@Test
	@Order(2)
	void anEntryPastItsDeadlineIsAnswered504AndNeverReachesPerchance(CapturedOutput output) {
		String gen = gen();
		subscribe(gen);

		add(gen, "req-late", "{\"prompt\":\"too late for redis\"}", System.currentTimeMillis() - 1);

		await().atMost(Duration.ofSeconds(15)).until(() -> this.messages.stream().anyMatch((m) -> m.contains("\"result\"")));
		Map<String, byte[]> result = result(gen);
		assertThat(text(result, "status")).isEqualTo("504");
		JsonNode problem = JSON.readTree(result.get("problem"));
		assertThat(problem.path("type").asString()).isEqualTo("https://imagegen.dev/problems/deadline-exceeded");
		assertThat(problem.path("status").asInt()).isEqualTo(504);
		assertThat(problem.path("requestId").asString()).isEqualTo("req-late");
		assertThat(problem.path("instance").asString()).isEqualTo("/generate");
		assertThat(JSON.readTree(this.messages.get(this.messages.size() - 1)).path("status").asInt()).isEqualTo(504);
		assertThat(Emulator.log("/api/generate", Emulator.prompt("too late for redis"))).isEmpty();
		await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(accessLines(output, "req-late"))
			.singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
			.contains("outcome=expired status=504 problem=deadline-exceeded"));
	}

	/** The worker's access lines (docs/operations.md) of one request id. */
	private static List<String> accessLines(CapturedOutput output, String requestId) {
		return output.getOut()
			.lines()
			.filter((line) -> line.contains("dev.imagegen.worker.access") && line.contains("requestId=" + requestId + " "))
			.toList();
	}

	@Test
	@Order(3)
	void aCancelledEntryIsAcknowledgedWithoutAResultAndNotStarted() {
		String gen = gen();
		this.connection.sync().set(PREFIX + "cancel:" + gen, "1");

		add(gen, "req-cancelled", "{\"prompt\":\"cancelled in redis\"}", System.currentTimeMillis() + 30_000);

		await().atMost(Duration.ofSeconds(15)).until(() -> this.connection.sync().xlen(STREAM) == 0
				&& this.connection.sync().xpending(STREAM, "workers").getCount() == 0);
		assertThat(this.connection.sync().exists(PREFIX + "result:" + gen)).isZero();
		assertThat(Emulator.log("/api/generate", Emulator.prompt("cancelled in redis"))).isEmpty();
	}

	@Test
	@Order(4)
	void anInvalidRequestGetsTheProblemHttpWouldAnswer() {
		String gen = gen();
		subscribe(gen);

		add(gen, "req-invalid", "{\"prompt\":\"a\",\"colour\":\"red\"}", System.currentTimeMillis() + 30_000);

		await().atMost(Duration.ofSeconds(15)).until(() -> this.messages.stream().anyMatch((m) -> m.contains("\"result\"")));
		Map<String, byte[]> result = result(gen);
		assertThat(text(result, "status")).isEqualTo("400");
		JsonNode problem = JSON.readTree(result.get("problem"));
		JsonNode http = assertProblem(generate("{\"prompt\":\"a\",\"colour\":\"red\"}", "X-Request-Id", "req-invalid"),
				400, "invalid-request");
		assertThat(problem.path("errors")).isEqualTo(http.path("errors"));
		assertThat(problem.path("detail")).isEqualTo(http.path("detail"));
		assertThat(problem.path("title")).isEqualTo(http.path("title"));
		assertThat(problem.path("requestId").asString()).isEqualTo("req-invalid");
	}

	@Test
	@Order(5)
	void anEntryPendingForADeadConsumerIsClaimedAfterTheHeartbeatTimeoutAndCompleted() {
		String gen = gen();
		subscribe(gen);
		double claimedBefore = entries("claimed");
		String id = addTakenByDeadConsumer(gen, "req-orphan", "{\"prompt\":\"orphaned in redis\"}");

		await().atMost(Duration.ofSeconds(30)).until(() -> this.messages.stream().anyMatch((m) -> m.contains("\"result\"")));
		Map<String, byte[]> result = result(gen);
		assertThat(text(result, "status")).isEqualTo("200");
		assertThat(entries("claimed")).isEqualTo(claimedBefore + 1);
		assertThat(this.connection.sync().xpending(STREAM, "workers").getCount()).isZero();
		assertThat(id).isNotBlank();
	}

	@Test
	@Order(6)
	void anEntryDeliveredMoreThanThreeTimesIsAnsweredWorkerUnavailable() {
		String gen = gen();
		subscribe(gen);
		String id = addTakenByDeadConsumer(gen, "req-unlucky", "{\"prompt\":\"delivered too often\"}");
		for (int i = 0; i < 2; i++) {
			// Two more deliveries to dead workers; the worker's own claim is the fourth.
			this.connection.sync().xclaim(STREAM, Consumer.from("workers", "dead-worker:session-" + (i + 1)),
					XClaimArgs.Builder.minIdleTime(0), id);
		}

		await().atMost(Duration.ofSeconds(30)).until(() -> this.messages.stream().anyMatch((m) -> m.contains("\"result\"")));
		Map<String, byte[]> result = result(gen);
		assertThat(text(result, "status")).isEqualTo("503");
		assertThat(JSON.readTree(result.get("problem")).path("type").asString())
			.isEqualTo("https://imagegen.dev/problems/worker-unavailable");
		assertThat(text(result, "retryAfter")).isEqualTo("5");
		assertThat(Emulator.log("/api/generate", Emulator.prompt("delivered too often"))).isEmpty();
	}

	@Test
	@Order(61)
	void aRunningEntryIsReclaimedSoNoOtherWorkerTakesItPastTheHeartbeatTimeout() {
		Emulator.config(Map.of("generateLatencyMs", 5000));
		String gen = gen();
		subscribe(gen);
		double claimedBefore = entries("claimed");

		String id = add(gen, "req-long", "{\"prompt\":\"longer than the heartbeat\"}", System.currentTimeMillis() + 30_000);

		await().atMost(Duration.ofSeconds(10)).until(() -> pendingFor(id) != null);
		// Longer than the 3 s heartbeat timeout: re-claims every second keep the entry's idle time below it.
		await().during(Duration.ofMillis(3500)).atMost(Duration.ofSeconds(5)).until(() -> {
			io.lettuce.core.models.stream.PendingMessage pending = pendingFor(id);
			return pending == null || (pending.getMsSinceLastDelivery() < 3000
					&& pending.getConsumer().startsWith(this.worker.workerId()) && pending.getRedeliveryCount() == 1);
		});
		await().atMost(Duration.ofSeconds(20)).until(() -> this.messages.stream().anyMatch((m) -> m.contains("\"result\"")));
		assertThat(text(result(gen), "status")).isEqualTo("200");
		assertThat(entries("claimed")).isEqualTo(claimedBefore);
	}

	@Test
	@Order(62)
	void aCancelKeySetWhileTheEntryRunsStopsItWithoutAResult() {
		Emulator.config(Map.of("generateLatencyMs", 3000));
		String gen = gen();
		double cancelledBefore = entries("cancelled");

		add(gen, "req-gone", "{\"prompt\":\"caller gone mid-run\"}", System.currentTimeMillis() + 30_000);
		await().atMost(Duration.ofSeconds(10))
			.until(() -> !Emulator.log("/api/generate", Emulator.prompt("caller gone mid-run")).isEmpty());
		this.connection.sync().set(PREFIX + "cancel:" + gen, "1");

		await().atMost(Duration.ofSeconds(15)).until(() -> entries("cancelled") == cancelledBefore + 1);
		assertThat(this.connection.sync().exists(PREFIX + "result:" + gen)).isZero();
		assertThat(this.connection.sync().xlen(STREAM)).isZero();
		assertThat(Emulator.log("/api/downloadTemporaryImageViaProxy")).as("stopped before the download").isEmpty();
	}

	@Test
	@Order(7)
	void theHeartbeatCarriesTheHealthWithItsTtlAndHealthShowsRedis() {
		String key = PREFIX + "worker:" + this.worker.workerId();
		assertThat(this.worker.workerId()).matches("[A-Za-z0-9.-]+-" + this.port + "-[0-9a-f]{6}");

		await().atMost(Duration.ofSeconds(5)).until(() -> this.connection.sync().exists(key) == 1);
		assertThat(this.connection.sync().pttl(key)).isBetween(1L, 3000L);
		JsonNode beat = JSON.readTree(this.connection.sync().get(key));
		assertThat(beat.path("id").asString()).isEqualTo(this.worker.workerId());
		assertThat(beat.path("heartbeatAt").asString()).isNotBlank();
		assertThat(beat.path("health").path("sessions").get(0).path("id").asString()).isEqualTo("session-0");
		assertThat(beat.path("health").path("queue").path("capacity").asInt()).isEqualTo(16);
		// Listed in the registry, scored with Redis's clock (ms): what the API reads instead of scanning keys.
		Double registered = this.connection.sync().zscore(PREFIX + "workers", this.worker.workerId());
		long redisNow = Long.parseLong(this.connection.sync().time().get(0)) * 1000;
		assertThat(registered).isNotNull();
		assertThat(registered.longValue()).isBetween(redisNow - 5_000, redisNow + 1_000);
		// A worker silent for more than ten heartbeat timeouts (3 s here) leaves the registry at the next beat;
		// one silent for less stays (its key tells whether it is alive).
		this.connection.sync().zadd(PREFIX + "workers", redisNow - 31_000, "long-gone");
		this.connection.sync().zadd(PREFIX + "workers", redisNow - 20_000, "recently-gone");
		await().atMost(Duration.ofSeconds(5))
			.until(() -> this.connection.sync().zscore(PREFIX + "workers", "long-gone") == null);
		assertThat(this.connection.sync().zscore(PREFIX + "workers", "recently-gone")).isNotNull();
		this.connection.sync().zrem(PREFIX + "workers", "recently-gone");

		JsonNode health = json(send("GET", "/health", null));
		assertThat(health.path("redis").path("status").asString()).isEqualTo("UP");
		assertThat(health.path("redis").has("reason")).isTrue();
	}

	@Test
	@Order(8)
	void theLoopOutlivesARedisOutageAndTakesNewEntriesAfterwards() {
		redis.pause();
		try {
			await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
				JsonNode health = json(send("GET", "/health", null));
				assertThat(health.path("redis").path("status").asString()).isEqualTo("DOWN");
				assertThat(health.path("redis").path("reason").asString()).startsWith("Redis unreachable");
				assertThat(health.path("status").asString()).isEqualTo("DEGRADED");
			});
			assertThat(send("GET", "/readyz", null).statusCode()).as("readiness does not depend on Redis").isEqualTo(200);
			assertThat(generate(body("direct while redis is down")).statusCode()).isEqualTo(200);
		}
		finally {
			redis.resume();
		}
		String gen = gen();
		await().atMost(Duration.ofSeconds(20)).ignoreExceptions().untilAsserted(() -> {
			subscribe(gen);
			assertThat(this.pubsub.sync().pubsubNumsub(PREFIX + "events:" + gen)).containsValue(1L);
		});

		add(gen, "req-after-outage", "{\"prompt\":\"after the outage\"}", System.currentTimeMillis() + 30_000);

		await().atMost(Duration.ofSeconds(30)).until(() -> this.messages.stream().anyMatch((m) -> m.contains("\"result\"")));
		assertThat(text(result(gen), "status")).isEqualTo("200");
		await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
				json(send("GET", "/health", null)).path("redis").path("status").asString()).isEqualTo("UP"));
	}

	@Test
	@Order(9)
	void aGracefulShutdownDeletesTheHeartbeat() {
		String key = PREFIX + "worker:" + this.worker.workerId();
		await().atMost(Duration.ofSeconds(5)).until(() -> this.connection.sync().exists(key) == 1);

		// What a graceful shutdown does to the beans (the test framework closes the context itself later).
		this.applicationContext.stop();

		assertThat(this.connection.sync().exists(key)).isZero();
		assertThat(this.connection.sync().zscore(PREFIX + "workers", this.worker.workerId())).isNull();
		assertThat(this.pool.isRunning()).isFalse();
	}

	private double entries(String outcome) {
		io.micrometer.core.instrument.Counter counter = this.meters.find("imagegen.worker.redis.entries")
			.tag("outcome", outcome)
			.counter();
		return (counter != null) ? counter.count() : 0;
	}

	private io.lettuce.core.models.stream.PendingMessage pendingFor(String id) {
		List<io.lettuce.core.models.stream.PendingMessage> pending = this.connection.sync()
			.xpending(STREAM, "workers", io.lettuce.core.Range.create(id, id), io.lettuce.core.Limit.from(1));
		return pending.isEmpty() ? null : pending.get(0);
	}

	private void subscribe(String gen) {
		this.pubsub.sync().subscribe(PREFIX + "events:" + gen);
	}

	/** Adds an entry as the API does. */
	private String add(String gen, String requestId, String request, long deadline) {
		Map<String, String> fields = new LinkedHashMap<>();
		fields.put("gen", gen);
		fields.put("requestId", requestId);
		fields.put("request", request);
		fields.put("deadline", Long.toString(deadline));
		fields.put("submittedAt", Long.toString(System.currentTimeMillis()));
		return this.connection.sync().xadd(STREAM, fields);
	}

	/**
	 * Adds an entry and delivers it to a consumer that never acknowledges it, in one transaction: the worker's
	 * blocked read is served only after it, when the entry is no longer new.
	 */
	private String addTakenByDeadConsumer(String gen, String requestId, String request) {
		RedisCommands<String, String> commands = this.connection.sync();
		Map<String, String> fields = new LinkedHashMap<>();
		fields.put("gen", gen);
		fields.put("requestId", requestId);
		fields.put("request", request);
		fields.put("deadline", Long.toString(System.currentTimeMillis() + 60_000));
		fields.put("submittedAt", Long.toString(System.currentTimeMillis()));
		commands.multi();
		commands.xadd(STREAM, fields);
		commands.xreadgroup(Consumer.from("workers", "dead-worker:session-0"), XReadArgs.Builder.count(1),
				XReadArgs.StreamOffset.lastConsumed(STREAM));
		TransactionResult done = commands.exec();
		List<?> taken = done.get(1);
		assertThat(taken).as("the dead consumer took the entry, not the worker").hasSize(1);
		return done.get(0);
	}

	private Map<String, byte[]> result(String gen) {
		RedisCommands<String, byte[]> commands = this.bytes.sync();
		return commands.hgetall(PREFIX + "result:" + gen);
	}

	private static String text(Map<String, byte[]> result, String field) {
		byte[] value = result.get(field);
		return (value != null) ? new String(value, StandardCharsets.UTF_8) : null;
	}

	private static String gen() {
		byte[] random = new byte[16];
		ThreadLocalRandom.current().nextBytes(random);
		return HexFormat.of().formatHex(random);
	}

}

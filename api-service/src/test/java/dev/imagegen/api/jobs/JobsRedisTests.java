package dev.imagegen.api.jobs;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import dev.imagegen.api.ImageFixtures;
import dev.imagegen.api.cache.ImageMemory;
import dev.imagegen.api.config.ApiProperties;
import dev.imagegen.api.generate.ImageGenerator;
import dev.imagegen.api.problem.ProblemRenderer;
import dev.imagegen.api.redis.RedisModeApi;
import dev.imagegen.api.redis.RedisProperties;
import dev.imagegen.api.redis.RedisWorkerDouble;
import dev.imagegen.testsupport.TestRedis;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceClientConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The jobs routes in the Redis mode, with two replicas sharing one real Redis: replica A is the running API (its
 * generations go through the work stream to a {@link RedisWorkerDouble} the tests drive), replica B its own
 * {@link RedisJobStore}, service and controller over its own connections, answering the same routes with the same
 * problem rendering. A job made on A is read, streamed, served and cancelled on B; Redis down is
 * {@code 503 queue-unavailable} on every jobs route and an {@code error} event on an open stream, and the API
 * recovers when Redis is back.
 */
class JobsRedisTests {

	static final String WORKER = "worker-a";

	static final AtomicInteger CLIENTS = new AtomicInteger();

	static final String PROBLEMS = "https://imagegen.dev/problems/";

	private static final ParameterizedTypeReference<ServerSentEvent<String>> EVENTS = new ParameterizedTypeReference<>() {
	};

	static TestRedis redis;

	static RedisModeApi api;

	static RedisWorkerDouble worker;

	private final JsonMapper json = JsonMapper.builder().build();

	WebTestClient client;

	RedisProperties redisProperties;

	MeterRegistry meters;

	private LettuceConnectionFactory otherConnections;

	private RedisJobStore otherStore;

	/** Replica B's routes. */
	private WebTestClient other;

	private String clientIp;

	@BeforeAll
	static void start() {
		redis = TestRedis.start();
		api = RedisModeApi.start(redis, "WORKER_TIMEOUT=30s", "imagegen.jobs.max-running=1",
				"imagegen.jobs.keep-alive=300ms", "imagegen.jobs.poll=300ms", "imagegen.jobs.owner-heartbeat=3s",
				"imagegen.clients.trusted-proxies=127.0.0.1,::1", "ANON_MAX_CONCURRENT=2", "IMAGE_CACHE_SIZE=16MB");
		worker = new RedisWorkerDouble(redis.url());
	}

	@AfterAll
	static void stop() {
		worker.close();
		api.close();
		redis.close();
	}

	@BeforeEach
	void otherReplica() {
		this.client = api.client();
		this.redisProperties = api.bean(RedisProperties.class);
		this.meters = api.bean(MeterRegistry.class);
		// Entries of an earlier test's jobs (cancelled, never answered) are no one's.
		worker.discardWaiting();
		worker.heartbeat(WORKER, 1);
		api.awaitWorker(WORKER);
		this.clientIp = "203.0.113." + CLIENTS.incrementAndGet();
		this.otherConnections = new LettuceConnectionFactory(new RedisStandaloneConfiguration("127.0.0.1", redis.port()),
				LettuceClientConfiguration.builder().commandTimeout(Duration.ofSeconds(2)).build());
		this.otherConnections.afterPropertiesSet();
		this.otherConnections.start();
		JobsProperties jobsProperties = api.bean(JobsProperties.class);
		this.otherStore = new RedisJobStore(this.otherConnections, this.redisProperties, jobsProperties, this.json,
				Duration.ofSeconds(5), Clock.systemUTC(), new SimpleMeterRegistry());
		JobService service = new JobService(api.bean(ImageGenerator.class), this.otherStore, new JobQueue(1), this.json,
				Clock.systemUTC(), new SimpleMeterRegistry(), Duration.ofSeconds(30), new ImageMemory(Long.MAX_VALUE));
		JobsController controller = new JobsController(service, api.bean(ApiProperties.class), jobsProperties,
				this.json);
		ProblemRenderer problems = api.bean(ProblemRenderer.class);
		this.other = WebTestClient.bindToController(controller)
			.webFilter((exchange, chain) -> chain.filter(exchange)
				.onErrorResume((failure) -> problems.render(exchange, failure)))
			.configureClient()
			.responseTimeout(Duration.ofSeconds(30))
			.build();
	}

	@AfterEach
	void closeOtherReplica() {
		this.otherStore.destroy();
		this.otherConnections.destroy();
		// With one job at a time on replica A, a job a test leaves queued or running there would hold back every
		// later test's jobs: it fails here, in the test that left it.
		await().atMost(10, TimeUnit.SECONDS)
			.untilAsserted(() -> assertThat(jobsOnA("queued") + jobsOnA("running")).as("jobs left on replica A").isZero());
	}

	private double jobsOnA(String status) {
		var gauge = this.meters.find("imagegen.jobs.current").tag("status", status).gauge();
		assertThat(gauge).as("imagegen.jobs.current{status=%s}", status).isNotNull();
		return gauge.value();
	}

	/**
	 * The entry of the job with this prompt, as the worker takes it; entries of earlier tests' cancelled jobs are
	 * passed over.
	 */
	private static RedisWorkerDouble.Entry nextEntry(String prompt) {
		long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
		while (System.nanoTime() < end) {
			RedisWorkerDouble.Entry entry = worker.take(WORKER, Duration.ofNanos(Math.max(1_000_000, end - System.nanoTime())));
			if (entry != null && prompt.equals(entry.prompt())) {
				return entry;
			}
		}
		throw new AssertionError("no generation of \"" + prompt + "\" reached the work stream within 10 s");
	}

	private static void answerImage(RedisWorkerDouble.Entry entry, long seed) {
		worker.succeed(entry, WORKER, ImageFixtures.png(), "image/png", seed, true);
	}

	private String submit(String prompt) {
		return submitBody("{\"prompt\":\"" + prompt + "\"}");
	}

	private String submitBody(String body) {
		EntityExchangeResult<byte[]> result = this.client.post()
			.uri("/jobs")
			.contentType(MediaType.APPLICATION_JSON)
			.header("X-Forwarded-For", this.clientIp)
			.bodyValue(body)
			.exchange()
			.expectStatus()
			.isAccepted()
			.expectBody()
			.returnResult();
		return this.json.readTree(result.getResponseBody()).get("id").stringValue();
	}

	private static JsonNode job(WebTestClient replica, String id, JsonMapper json) {
		return json.readTree(replica.get()
			.uri("/jobs/{id}", id)
			.exchange()
			.expectStatus()
			.isOk()
			.expectBody()
			.returnResult()
			.getResponseBody());
	}

	private String status(WebTestClient replica, String id) {
		return job(replica, id, this.json).get("status").stringValue();
	}

	/** {@code DELETE /jobs/{id}} on a replica answers the job, cancelled. */
	private static void expectCancelled(WebTestClient replica, String id) {
		replica.delete()
			.uri("/jobs/{id}", id)
			.exchange()
			.expectStatus()
			.isAccepted()
			.expectBody()
			.jsonPath("$.status")
			.isEqualTo("cancelled");
	}

	private Flux<ServerSentEvent<String>> events(WebTestClient replica, String id) {
		return replica.get()
			.uri("/jobs/{id}/events", id)
			.accept(MediaType.TEXT_EVENT_STREAM)
			.exchange()
			.expectStatus()
			.isOk()
			.returnResult(EVENTS)
			.getResponseBody()
			.filter((event) -> event.event() != null);
	}

	private String summary(ServerSentEvent<String> event) {
		JsonNode job = this.json.readTree(event.data());
		return event.event() + ":" + job.get("status").stringValue() + "/" + job.get("phase").stringValue();
	}

	@Test
	void theApiRunsInTheRedisModeWithTheSharedStore() {
		assertThat(api.bean(JobStore.class)).isInstanceOf(RedisJobStore.class);
	}

	@Test
	void aJobMadeOnOneReplicaIsReadStreamedAndServedByTheOther() {
		String id = submit("a shared fox");
		RedisWorkerDouble.Entry call = nextEntry("a shared fox");
		assertThat(status(this.other, id)).isEqualTo("queued");
		StepVerifier.create(events(this.other, id).map(this::summary))
			.expectNext("job:queued/queued")
			.then(() -> worker.progress(call, WORKER, "generating", null, 2))
			.expectNext("job:running/generating")
			.then(() -> answerImage(call, 4242))
			.expectNext("job:succeeded/done")
			.expectComplete()
			.verify(Duration.ofSeconds(15));
		JsonNode done = job(this.other, id, this.json);
		assertThat(done.get("seed").longValue()).isEqualTo(4242);
		assertThat(done.get("image").stringValue()).isEqualTo("/jobs/" + id + "/image");
		EntityExchangeResult<byte[]> image = this.other.get()
			.uri("/jobs/{id}/image", id)
			.exchange()
			.expectStatus()
			.isOk()
			.expectHeader()
			.contentType(MediaType.IMAGE_PNG)
			.expectHeader()
			.valueEquals("X-Seed", "4242")
			.expectHeader()
			.valueEquals("X-Cache", "MISS")
			.expectHeader()
			.valueEquals(HttpHeaders.CACHE_CONTROL, "no-store")
			.expectBody()
			.returnResult();
		assertThat(image.getResponseBody()).isEqualTo(ImageFixtures.png());
	}

	@Test
	void aJobThatSucceedsAtOnceFromTheCacheIsSucceededOnTheOtherReplicaWhenThe202Arrives() {
		String body = "{\"prompt\":\"a cached shared fox\",\"seed\":1234}";
		long dispatchesBefore = dispatches();
		String first = submitBody(body);
		answerImage(nextEntry("a cached shared fox"), 1234);
		await().atMost(10, TimeUnit.SECONDS).until(() -> status(this.other, first).equals("succeeded"));
		String second = submitBody(body);
		assertThat(status(this.other, second)).isEqualTo("succeeded");
		this.other.get()
			.uri("/jobs/{id}/image", second)
			.exchange()
			.expectStatus()
			.isOk()
			.expectHeader()
			.valueEquals("X-Cache", "HIT")
			.expectHeader()
			.valueEquals("X-Seed", "1234")
			.expectHeader()
			.exists(HttpHeaders.ETAG);
		// One generation in all: the second job never reached the work stream.
		assertThat(dispatches()).isEqualTo(dispatchesBefore + 1);
		assertThat(worker.streamLength()).isZero();
	}

	@Test
	void aDeleteOnTheOtherReplicaCancelsTheJobOnItsOwner() {
		double cancelledBefore = finished("cancelled");
		String id = submit("a cancelled fox");
		RedisWorkerDouble.Entry call = nextEntry("a cancelled fox");
		worker.progress(call, WORKER, "generating", null, null);
		await().atMost(10, TimeUnit.SECONDS).until(() -> status(this.other, id).equals("running"));
		expectCancelled(this.other, id);
		assertThat(status(this.client, id)).isEqualTo("cancelled");
		// The owner stopped the generation: its one worker slot is free for the next job.
		await().atMost(10, TimeUnit.SECONDS).until(() -> finished("cancelled") == cancelledBefore + 1);
		// ... and told the worker through the entry's cancel key.
		await().atMost(10, TimeUnit.SECONDS).until(() -> worker.cancelled(call));
		String next = submit("the next fox");
		answerImage(nextEntry("the next fox"), 9);
		await().atMost(10, TimeUnit.SECONDS).until(() -> status(this.other, next).equals("succeeded"));
		answerImage(call, 8);
		assertThat(status(this.other, id)).isEqualTo("cancelled");
		this.other.get()
			.uri("/jobs/{id}/image", id)
			.exchange()
			.expectStatus()
			.isEqualTo(409)
			.expectBody()
			.jsonPath("$.type")
			.isEqualTo(PROBLEMS + "job-cancelled");
	}

	@Test
	void aJobRefusedByClientLimitsLeavesNothingInRedis() {
		StringRedisTemplate plain = new StringRedisTemplate(this.otherConnections);
		String index = this.redisProperties.key("jobs");
		long before = plain.opsForZSet().zCard(index);
		String first = submit("one fox");
		String second = submit("two foxes");
		this.client.post()
			.uri("/jobs")
			.contentType(MediaType.APPLICATION_JSON)
			.header("X-Forwarded-For", this.clientIp)
			.bodyValue("{\"prompt\":\"one fox too many\"}")
			.exchange()
			.expectStatus()
			.isEqualTo(429)
			.expectBody()
			.jsonPath("$.type")
			.isEqualTo(PROBLEMS + "too-many-concurrent");
		assertThat(plain.opsForZSet().zCard(index)).isEqualTo(before + 2);
		for (String id : new String[] { first, second }) {
			// The answer is the cancelled job; the check after each test sees that replica A stopped it too.
			expectCancelled(this.other, id);
		}
	}

	@Test
	void unknownJobsAre404OnEveryReplica() {
		for (WebTestClient replica : new WebTestClient[] { this.client, this.other }) {
			for (String path : new String[] { "/jobs/nope", "/jobs/nope/events", "/jobs/nope/image" }) {
				replica.get()
					.uri(path)
					.exchange()
					.expectStatus()
					.isNotFound()
					.expectBody()
					.jsonPath("$.type")
					.isEqualTo(PROBLEMS + "job-not-found");
			}
			replica.delete().uri("/jobs/nope").exchange().expectStatus().isNotFound();
		}
	}

	@Test
	void redisDownIs503QueueUnavailableOnEveryJobsRouteAndTheApiRecovers() {
		String id = submit("a fox before the outage");
		answerImage(nextEntry("a fox before the outage"), 1);
		await().atMost(10, TimeUnit.SECONDS).until(() -> status(this.client, id).equals("succeeded"));
		long dispatchesBefore = dispatches();
		redis.pause();
		try {
			for (String path : new String[] { "/jobs/" + id, "/jobs/" + id + "/events", "/jobs/" + id + "/image" }) {
				expectQueueUnavailable(this.client.get().uri(path).exchange());
			}
			expectQueueUnavailable(this.client.delete().uri("/jobs/{id}", id).exchange());
			expectQueueUnavailable(this.client.post()
				.uri("/jobs")
				.contentType(MediaType.APPLICATION_JSON)
				.header("X-Forwarded-For", this.clientIp)
				.bodyValue("{\"prompt\":\"a fox during the outage\"}")
				.exchange());
			// The refused job started no generation.
			assertThat(dispatches()).isEqualTo(dispatchesBefore);
		}
		finally {
			redis.resume();
		}
		// Lettuce reconnects by itself: no restart. Redis came back empty: the worker's next heartbeat makes it live.
		await().atMost(30, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(500)).ignoreExceptions().until(() -> {
			worker.heartbeat(WORKER, 1);
			return this.client.get().uri("/health").exchange().returnResult(byte[].class).getStatus().value() == 200;
		});
		String after = submit("a fox after the outage");
		answerImage(nextEntry("a fox after the outage"), 2);
		await().atMost(10, TimeUnit.SECONDS).until(() -> status(this.other, after).equals("succeeded"));
	}

	@Test
	void anOpenEventStreamWhoseRedisFailsEndsWithAnErrorEvent() {
		double succeededBefore = finished("succeeded");
		double failedBefore = finished("failed");
		String id = submit("a streamed fox");
		RedisWorkerDouble.Entry call = nextEntry("a streamed fox");
		AtomicBoolean paused = new AtomicBoolean();
		try {
			StepVerifier.create(events(this.client, id))
				.assertNext((event) -> assertThat(event.event()).isEqualTo("job"))
				.then(() -> {
					redis.pause();
					paused.set(true);
				})
				// A state the job reached before the outage (the worker's pickup) may still arrive first.
				.thenConsumeWhile((event) -> "job".equals(event.event()))
				.assertNext((event) -> {
					assertThat(event.event()).isEqualTo("error");
					assertThat(event.retry()).isEqualTo(Duration.ofSeconds(5));
					JsonNode problem = this.json.readTree(event.data());
					assertThat(problem.get("type").stringValue()).isEqualTo(PROBLEMS + "queue-unavailable");
					assertThat(problem.get("status").intValue()).isEqualTo(503);
				})
				.expectComplete()
				.verify(Duration.ofSeconds(20));
		}
		finally {
			// Also when the stream failed the test: every later test needs Redis.
			if (paused.get()) {
				redis.resume();
			}
		}
		answerImage(call, 3);
		// The job ends on its owner either way: with the image, or queue-unavailable when one of the dispatch's reads
		// of the result fell into the outage (in the Redis mode a Redis failure fails the generation).
		await().atMost(40, TimeUnit.SECONDS)
			.until(() -> finished("succeeded") + finished("failed") == succeededBefore + failedBefore + 1);
		boolean succeeded = finished("succeeded") == succeededBefore + 1;
		// The owner's retried write brings the finished job into the Redis that came back empty.
		await().atMost(30, TimeUnit.SECONDS)
			.ignoreExceptions()
			.until(() -> status(this.other, id).equals(succeeded ? "succeeded" : "failed"));
		if (!succeeded) {
			assertThat(job(this.other, id, this.json).path("error").path("type").stringValue())
				.isEqualTo(PROBLEMS + "queue-unavailable");
		}
	}

	private static void expectQueueUnavailable(WebTestClient.ResponseSpec response) {
		response.expectStatus()
			.isEqualTo(503)
			.expectHeader()
			.valueEquals(HttpHeaders.RETRY_AFTER, "5")
			.expectBody()
			.jsonPath("$.type")
			.isEqualTo(PROBLEMS + "queue-unavailable");
	}

	/** Generations the replica dispatched through the work stream, whatever their outcome. */
	private long dispatches() {
		return this.meters.find("imagegen.redis.dispatch").timers().stream().mapToLong((timer) -> timer.count()).sum();
	}

	private double finished(String outcome) {
		var counter = this.meters.find("imagegen.jobs.finished").tag("outcome", outcome).counter();
		return (counter != null) ? counter.count() : 0;
	}

}

package dev.imagegen.api.jobs;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import dev.imagegen.api.FakeWorker;
import dev.imagegen.api.ImageFixtures;
import dev.imagegen.api.config.ApiProperties;
import dev.imagegen.api.generate.ImageGenerator;
import dev.imagegen.api.problem.ProblemRenderer;
import dev.imagegen.api.redis.RedisProperties;
import dev.imagegen.testsupport.TestRedis;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceClientConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The jobs routes in the Redis mode, with two replicas sharing one real Redis: replica A is the running API
 * (generations go to a {@link FakeWorker}), replica B its own {@link RedisJobStore}, service and controller over
 * its own connections, answering the same routes with the same problem rendering. A job made on A is read,
 * streamed, served and cancelled on B; Redis down is {@code 503 queue-unavailable} on every jobs route and an
 * {@code error} event on an open stream, and the API recovers when Redis is back.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
		properties = { "WORKER_TOKEN=test-token", "WORKER_TIMEOUT=30s", "imagegen.jobs.max-running=1",
				"imagegen.jobs.keep-alive=300ms", "imagegen.jobs.poll=300ms", "imagegen.jobs.owner-heartbeat=3s",
				"imagegen.clients.trusted-proxies=127.0.0.1,::1", "ANON_MAX_CONCURRENT=2",
				"IMAGE_CACHE_SIZE=16MB" })
@AutoConfigureWebTestClient(timeout = "30s")
@DirtiesContext
class JobsRedisTests {

	static final TestRedis REDIS = TestRedis.start();

	static final FakeWorker WORKER = FakeWorker.start();

	static {
		// The mode is decided by an EnvironmentPostProcessor, before @DynamicPropertySource values exist: a system
		// property is seen by then. Cleared after the class; the context is closed with it (@DirtiesContext).
		System.setProperty("spring.data.redis.url", REDIS.url());
	}

	static final AtomicInteger CLIENTS = new AtomicInteger();

	static final String PROBLEMS = "https://imagegen.dev/problems/";

	private static final ParameterizedTypeReference<ServerSentEvent<String>> EVENTS = new ParameterizedTypeReference<>() {
	};

	private final JsonMapper json = JsonMapper.builder().build();

	@Autowired
	WebTestClient client;

	@Autowired
	JobStore store;

	@Autowired
	ImageGenerator generator;

	@Autowired
	RedisProperties redisProperties;

	@Autowired
	JobsProperties jobsProperties;

	@Autowired
	ApiProperties apiProperties;

	@Autowired
	ProblemRenderer problems;

	@Autowired
	MeterRegistry meters;

	private LettuceConnectionFactory otherConnections;

	private RedisJobStore otherStore;

	/** Replica B's routes. */
	private WebTestClient other;

	private String clientIp;

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		registry.add("PERCHANCE_WORKER_URL", WORKER::baseUrl);
	}

	@AfterAll
	static void stop() {
		System.clearProperty("spring.data.redis.url");
		WORKER.stop();
		REDIS.close();
	}

	@BeforeEach
	void otherReplica() {
		WORKER.reset();
		this.clientIp = "203.0.113." + CLIENTS.incrementAndGet();
		this.otherConnections = new LettuceConnectionFactory(new RedisStandaloneConfiguration("127.0.0.1", REDIS.port()),
				LettuceClientConfiguration.builder().commandTimeout(Duration.ofSeconds(2)).build());
		this.otherConnections.afterPropertiesSet();
		this.otherConnections.start();
		this.otherStore = new RedisJobStore(this.otherConnections, this.redisProperties, this.jobsProperties, this.json,
				Duration.ofSeconds(5), Clock.systemUTC(), new SimpleMeterRegistry());
		JobService service = new JobService(this.generator, this.otherStore, new JobQueue(1), this.json,
				Clock.systemUTC(), new SimpleMeterRegistry(), Duration.ofSeconds(30));
		JobsController controller = new JobsController(service, this.apiProperties, this.jobsProperties, this.json);
		this.other = WebTestClient.bindToController(controller)
			.webFilter((exchange, chain) -> chain.filter(exchange)
				.onErrorResume((failure) -> this.problems.render(exchange, failure)))
			.configureClient()
			.responseTimeout(Duration.ofSeconds(30))
			.build();
	}

	@AfterEach
	void closeOtherReplica() {
		WORKER.reset();
		this.otherStore.destroy();
		this.otherConnections.destroy();
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
		assertThat(this.store).isInstanceOf(RedisJobStore.class);
	}

	@Test
	void aJobMadeOnOneReplicaIsReadStreamedAndServedByTheOther() {
		String id = submit("a shared fox");
		FakeWorker.Call call = WORKER.nextCall();
		assertThat(status(this.other, id)).isEqualTo("queued");
		StepVerifier.create(events(this.other, id).map(this::summary))
			.expectNext("job:queued/queued")
			.then(() -> call.progress("generating", null, 2))
			.expectNext("job:running/generating")
			.then(() -> call.answerImage(4242))
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
		String first = submitBody(body);
		WORKER.nextCall().answerImage(1234);
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
		assertThat(WORKER.calls()).hasSize(1);
	}

	@Test
	void aDeleteOnTheOtherReplicaCancelsTheJobOnItsOwner() {
		double cancelledBefore = finished("cancelled");
		String id = submit("a cancelled fox");
		FakeWorker.Call call = WORKER.nextCall();
		call.progress("generating", null, null);
		await().atMost(10, TimeUnit.SECONDS).until(() -> status(this.other, id).equals("running"));
		this.other.delete()
			.uri("/jobs/{id}", id)
			.exchange()
			.expectStatus()
			.isAccepted()
			.expectBody()
			.jsonPath("$.status")
			.isEqualTo("cancelled");
		assertThat(status(this.client, id)).isEqualTo("cancelled");
		// The owner stopped the generation: its one worker slot is free for the next job.
		await().atMost(10, TimeUnit.SECONDS).until(() -> finished("cancelled") == cancelledBefore + 1);
		String next = submit("the next fox");
		WORKER.nextCall().answerImage(9);
		await().atMost(10, TimeUnit.SECONDS).until(() -> status(this.other, next).equals("succeeded"));
		call.answerImage(8);
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
			this.other.delete().uri("/jobs/{id}", id).exchange().expectStatus().isAccepted();
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
		WORKER.nextCall().answerImage(1);
		await().atMost(10, TimeUnit.SECONDS).until(() -> status(this.client, id).equals("succeeded"));
		REDIS.pause();
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
			assertThat(WORKER.calls()).hasSize(1);
		}
		finally {
			REDIS.resume();
		}
		// Lettuce reconnects by itself: no restart.
		await().atMost(30, TimeUnit.SECONDS).ignoreExceptions().until(() -> {
			submit("a fox after the outage");
			return true;
		});
		WORKER.nextCall().answerImage(2);
	}

	@Test
	void anOpenEventStreamWhoseRedisFailsEndsWithAnErrorEvent() {
		String id = submit("a streamed fox");
		FakeWorker.Call call = WORKER.nextCall();
		StepVerifier.create(events(this.client, id))
			.assertNext((event) -> assertThat(event.event()).isEqualTo("job"))
			.then(REDIS::pause)
			.assertNext((event) -> {
				assertThat(event.event()).isEqualTo("error");
				assertThat(event.retry()).isEqualTo(Duration.ofSeconds(5));
				JsonNode problem = this.json.readTree(event.data());
				assertThat(problem.get("type").stringValue()).isEqualTo(PROBLEMS + "queue-unavailable");
				assertThat(problem.get("status").intValue()).isEqualTo(503);
			})
			.expectComplete()
			.verify(Duration.ofSeconds(20));
		REDIS.resume();
		call.answerImage(3);
		// The owner's retried write brings the finished job into the Redis that came back empty.
		await().atMost(30, TimeUnit.SECONDS).ignoreExceptions().until(() -> status(this.other, id).equals("succeeded"));
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

	private double finished(String outcome) {
		var counter = this.meters.find("imagegen.jobs.finished").tag("outcome", outcome).counter();
		return (counter != null) ? counter.count() : 0;
	}

}

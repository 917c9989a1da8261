package dev.imagegen.api.jobs;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import com.github.benmanes.caffeine.cache.Ticker;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import dev.imagegen.api.FakeWorker;
import dev.imagegen.api.ImageFixtures;
import dev.imagegen.api.cache.ImageMemory;
import dev.imagegen.api.generate.GenerateRequest;
import dev.imagegen.api.generate.ImageFormat;
import dev.imagegen.api.generate.ImageGenerator;
import dev.imagegen.api.generate.Shape;
import dev.imagegen.api.problem.ApiProblem;
import dev.imagegen.api.redis.RedisUnavailable;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.context.annotation.Bean;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Jobs through the running API against a {@link FakeWorker} that answers and reports progress only when a test
 * says so, with a job clock moved by hand. One job at a time goes to the worker ({@code max-running=1}), so that
 * a second job waits in the API's queue. Each test is its own client (a forwarded address behind the trusted
 * loopback proxy) and ends every job it starts, so that tests never share limits or jobs.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
		properties = { "WORKER_TOKEN=test-token", "WORKER_TIMEOUT=30s", "imagegen.jobs.max-running=1",
				"MAX_JOBS=20", "imagegen.jobs.keep-alive=300ms", "imagegen.clients.trusted-proxies=127.0.0.1,::1",
				"ANON_MAX_CONCURRENT=2", "IMAGE_CACHE_SIZE=16MB" })
@AutoConfigureWebTestClient(timeout = "20s")
class JobsTests {

	static final FakeWorker WORKER = FakeWorker.start();

	static final AtomicLong NOW = new AtomicLong();

	static final AtomicInteger CLIENTS = new AtomicInteger();

	static final String PROBLEMS = "https://imagegen.dev/problems/";

	private static final ParameterizedTypeReference<ServerSentEvent<String>> EVENTS = new ParameterizedTypeReference<>() {
	};

	private final JsonMapper json = JsonMapper.builder().build();

	@Autowired
	WebTestClient client;

	@Autowired
	MeterRegistry meters;

	/** This test's client address. */
	private String clientIp;

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		registry.add("PERCHANCE_WORKER_URL", WORKER::baseUrl);
	}

	@AfterAll
	static void stopWorker() {
		WORKER.stop();
	}

	@BeforeEach
	void newClientAndExpiredJobs() {
		WORKER.reset();
		this.clientIp = "203.0.113." + CLIENTS.incrementAndGet();
		// Jobs of earlier tests have ended: let their retention run out so MAX_JOBS counts this test's only.
		NOW.addAndGet(Duration.ofHours(2).toNanos());
	}

	@AfterEach
	void answerWhatIsLeft() {
		WORKER.reset();
	}

	@TestConfiguration
	static class ManualClock {

		@Bean
		Ticker testTicker() {
			return NOW::get;
		}

	}

	@Autowired
	ImageGenerator generator;

	@Test
	void aJobWhoseStateCannotBeSavedIsCancelledBeforeTheClientIsToldToTryAgain() {
		// A store whose saves fail, as Redis does when it stops answering after the job was added: the client gets
		// 503 and will retry, so the job it never learns of must not go on running (and holding a MAX_JOBS slot).
		LocalJobStore local = new LocalJobStore(new JobsProperties(Duration.ofHours(1), 100, 32, Duration.ofSeconds(10),
				Duration.ofSeconds(15), Duration.ofSeconds(5)), Ticker.systemTicker(), new ImageMemory(Long.MAX_VALUE));
		JobStore failingSaves = (JobStore) Proxy.newProxyInstance(JobStore.class.getClassLoader(),
				new Class<?>[] { JobStore.class }, (proxy, method, args) -> {
					if (method.getName().equals("saved")) {
						return Mono.error(RedisUnavailable.problem());
					}
					try {
						return method.invoke(local, args);
					}
					catch (InvocationTargetException ex) {
						throw ex.getCause();
					}
				});
		JobService service = new JobService(this.generator, failingSaves, new JobQueue(1), this.json, Clock.systemUTC(),
				new SimpleMeterRegistry(), Duration.ofSeconds(150), new ImageMemory(Long.MAX_VALUE));
		GenerateRequest request = new GenerateRequest("a heron " + CLIENTS.incrementAndGet(), "",
				GenerateRequest.RANDOM_SEED, 7.0, Shape.SQUARE, ImageFormat.PNG);

		StepVerifier.create(service.submit(MockServerWebExchange.from(MockServerHttpRequest.post("/jobs")), request))
			.expectErrorSatisfies((failure) -> assertThat(((ApiProblem) failure).type()).endsWith("/queue-unavailable"))
			.verify(Duration.ofSeconds(10));
		assertThat(local.countByStatus().get(JobStatus.CANCELLED)).isEqualTo(1);
		assertThat(local.countByStatus().get(JobStatus.RUNNING) + local.countByStatus().get(JobStatus.QUEUED))
			.isZero();
	}

	private JsonNode submit(String body) {
		EntityExchangeResult<byte[]> result = this.client.post()
			.uri("/jobs")
			.contentType(MediaType.APPLICATION_JSON)
			.header("X-Forwarded-For", this.clientIp)
			.bodyValue(body)
			.exchange()
			.expectStatus()
			.isAccepted()
			.expectHeader()
			.contentTypeCompatibleWith(MediaType.APPLICATION_JSON)
			.expectBody()
			.returnResult();
		JsonNode job = this.json.readTree(result.getResponseBody());
		assertThat(result.getResponseHeaders().getLocation()).hasToString("/jobs/" + job.get("id").stringValue());
		return job;
	}

	private JsonNode submit() {
		return submit("{\"prompt\":\"a red fox\",\"shape\":\"portrait\"}");
	}

	private JsonNode job(String id) {
		return this.json.readTree(this.client.get()
			.uri("/jobs/{id}", id)
			.exchange()
			.expectStatus()
			.isOk()
			.expectBody()
			.returnResult()
			.getResponseBody());
	}

	private String status(String id) {
		return job(id).get("status").stringValue();
	}

	private JsonNode cancel(String id) {
		return this.json.readTree(this.client.delete()
			.uri("/jobs/{id}", id)
			.exchange()
			.expectStatus()
			.isAccepted()
			.expectBody()
			.returnResult()
			.getResponseBody());
	}

	private Flux<JsonNode> events(String id) {
		return this.client.get()
			.uri("/jobs/{id}/events", id)
			.accept(MediaType.TEXT_EVENT_STREAM)
			.exchange()
			.expectStatus()
			.isOk()
			.returnResult(EVENTS)
			.getResponseBody()
			.filter((event) -> "job".equals(event.event()))
			.map((event) -> this.json.readTree(event.data()));
	}

	private static String summary(JsonNode job) {
		return job.get("status").stringValue() + "/" + job.get("phase").stringValue() + "/"
				+ job.get("queuePosition") + "/" + job.get("upstreamQueuePosition");
	}

	@Test
	void postJobsAnswers202WithLocationAndTheJob() {
		JsonNode job = submit();
		assertThat(job.get("status").stringValue()).isEqualTo("queued");
		assertThat(job.get("phase").stringValue()).isEqualTo("queued");
		assertThat(job.get("createdAt").stringValue()).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
		assertThat(job.get("startedAt").isNull()).isTrue();
		assertThat(job.get("finishedAt").isNull()).isTrue();
		assertThat(job.get("parameters").get("prompt").stringValue()).isEqualTo("a red fox");
		assertThat(job.get("parameters").get("shape").stringValue()).isEqualTo("portrait");
		assertThat(job.get("parameters").get("seed").longValue()).isEqualTo(-1);
		assertThat(job.has("image")).isFalse();
		assertThat(job.has("error")).isFalse();
		WORKER.nextCall().answerImage(7);
		await().atMost(10, TimeUnit.SECONDS).until(() -> status(job.get("id").stringValue()).equals("succeeded"));
		JsonNode done = job(job.get("id").stringValue());
		assertThat(done.get("seed").longValue()).isEqualTo(7);
		assertThat(done.get("image").stringValue()).isEqualTo("/jobs/" + job.get("id").stringValue() + "/image");
		assertThat(done.get("finishedAt").isNull()).isFalse();
	}

	@Test
	void preferRespondAsyncOnGetAndPostGenerateMakesAJob() {
		EntityExchangeResult<byte[]> get = this.client.get()
			.uri("/generate?prompt=async+fox")
			.header("Prefer", "respond-async, wait=5")
			.header("X-Forwarded-For", this.clientIp)
			.exchange()
			.expectStatus()
			.isAccepted()
			.expectHeader()
			.valueEquals("Preference-Applied", "respond-async")
			.expectHeader()
			.valueEquals(HttpHeaders.VARY, "Prefer")
			.expectBody()
			.returnResult();
		JsonNode first = this.json.readTree(get.getResponseBody());
		assertThat(get.getResponseHeaders().getLocation()).hasToString("/jobs/" + first.get("id").stringValue());
		assertThat(first.get("parameters").get("prompt").stringValue()).isEqualTo("async fox");
		WORKER.nextCall().answerImage(1);
		EntityExchangeResult<byte[]> post = this.client.post()
			.uri("/generate")
			.contentType(MediaType.APPLICATION_JSON)
			.header("Prefer", "respond-async")
			.header("X-Forwarded-For", this.clientIp)
			.bodyValue("{\"prompt\":\"posted fox\"}")
			.exchange()
			.expectStatus()
			.isAccepted()
			.expectHeader()
			.valueEquals("Preference-Applied", "respond-async")
			.expectHeader()
			.valueEquals(HttpHeaders.VARY, "Prefer")
			.expectBody()
			.returnResult();
		JsonNode second = this.json.readTree(post.getResponseBody());
		assertThat(post.getResponseHeaders().getLocation()).hasToString("/jobs/" + second.get("id").stringValue());
		WORKER.nextCall().answerImage(2);
		await().atMost(10, TimeUnit.SECONDS).until(() -> status(second.get("id").stringValue()).equals("succeeded"));
	}

	@Test
	void validationErrorsAreThoseOfGenerate() {
		String body = "{\"prompt\":\"  \",\"guidance_scale\":99,\"colour\":\"red\"}";
		byte[] viaJobs = this.client.post()
			.uri("/jobs")
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue(body)
			.exchange()
			.expectStatus()
			.isBadRequest()
			.expectHeader()
			.contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
			.expectBody()
			.returnResult()
			.getResponseBody();
		byte[] viaGenerate = this.client.post()
			.uri("/generate")
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue(body)
			.exchange()
			.expectStatus()
			.isBadRequest()
			.expectBody()
			.returnResult()
			.getResponseBody();
		JsonNode jobs = this.json.readTree(viaJobs);
		JsonNode generate = this.json.readTree(viaGenerate);
		assertThat(jobs.get("type").stringValue()).isEqualTo(PROBLEMS + "validation-error");
		for (String field : List.of("type", "title", "status", "detail", "errors")) {
			assertThat(jobs.get(field)).as(field).isEqualTo(generate.get(field));
		}
		assertThat(WORKER.calls()).isEmpty();
	}

	@Test
	void clientConcurrencyLimitAppliesToJobs() {
		JsonNode first = submit();
		JsonNode second = submit();
		this.client.post()
			.uri("/jobs")
			.contentType(MediaType.APPLICATION_JSON)
			.header("X-Forwarded-For", this.clientIp)
			.bodyValue("{\"prompt\":\"one too many\"}")
			.exchange()
			.expectStatus()
			.isEqualTo(429)
			.expectHeader()
			.exists(HttpHeaders.RETRY_AFTER)
			.expectBody()
			.jsonPath("$.type")
			.isEqualTo(PROBLEMS + "too-many-concurrent");
		cancel(first.get("id").stringValue());
		cancel(second.get("id").stringValue());
	}

	@Test
	void theEventStreamShowsQueuePositionsAndPhasesInOrderThenEnds() {
		JsonNode job = submit();
		String id = job.get("id").stringValue();
		FakeWorker.Call call = WORKER.nextCall();
		assertThat(call.requestId()).isNotEqualTo(id).matches("[0-9a-f-]{36}");
		StepVerifier.create(events(id).map(JobsTests::summary))
			.expectNext("queued/queued/null/null")
			.then(() -> call.progress("queued", 2, null))
			.expectNext("queued/queued/2/null")
			.then(() -> call.progress("queued", 1, null))
			.expectNext("queued/queued/1/null")
			.then(() -> call.progress("queued", 0, null))
			.expectNext("queued/queued/0/null")
			.then(() -> call.progress("starting", null, null))
			.expectNext("running/starting/null/null")
			.then(() -> call.progress("generating", null, 3))
			.expectNext("running/generating/null/3")
			.then(() -> call.progress("generating", null, 1))
			.expectNext("running/generating/null/1")
			.then(() -> call.progress("downloading", null, null))
			.expectNext("running/downloading/null/null")
			.then(() -> {
				call.progress("done", null, null);
				call.endProgress();
			})
			.expectNext("running/done/null/null")
			.then(() -> call.answerImage(99))
			.expectNext("succeeded/done/null/null")
			.expectComplete()
			.verify(Duration.ofSeconds(15));
		JsonNode done = job(id);
		assertThat(done.get("startedAt").isNull()).isFalse();
		assertThat(done.get("seed").longValue()).isEqualTo(99);
	}

	@Test
	void aLateSubscriberGetsTheTerminalEventAtOnce() {
		String id = submit().get("id").stringValue();
		WORKER.nextCall().answerImage(5);
		await().atMost(10, TimeUnit.SECONDS).until(() -> status(id).equals("succeeded"));
		StepVerifier.create(events(id).map((job) -> job.get("status").stringValue()))
			.expectNext("succeeded")
			.expectComplete()
			.verify(Duration.ofSeconds(5));
	}

	@Test
	void anIdleEventStreamCarriesKeepAliveComments() {
		String id = submit().get("id").stringValue();
		FakeWorker.Call call = WORKER.nextCall();
		StepVerifier.create(this.client.get()
			.uri("/jobs/{id}/events", id)
			.accept(MediaType.TEXT_EVENT_STREAM)
			.exchange()
			.returnResult(EVENTS)
			.getResponseBody()
			.filter((event) -> event.comment() != null)
			.map(ServerSentEvent::comment)).expectNext("keep-alive").thenCancel().verify(Duration.ofSeconds(10));
		call.answerImage(1);
		await().atMost(10, TimeUnit.SECONDS).until(() -> status(id).equals("succeeded"));
	}

	@Test
	void anEventSubscriberThatLeavesDoesNotCancelTheJob() {
		String id = submit().get("id").stringValue();
		FakeWorker.Call call = WORKER.nextCall();
		StepVerifier.create(events(id)).expectNextCount(1).thenCancel().verify(Duration.ofSeconds(5));
		call.progress("generating", null, null);
		await().atMost(10, TimeUnit.SECONDS).until(() -> status(id).equals("running"));
		call.answerImage(3);
		await().atMost(10, TimeUnit.SECONDS).until(() -> status(id).equals("succeeded"));
	}

	@Test
	void theImageIs409WhileRunningAndServedWithTheHeadersOfGenerateAfter() {
		String id = submit().get("id").stringValue();
		FakeWorker.Call call = WORKER.nextCall();
		call.progress("generating", null, null);
		await().atMost(10, TimeUnit.SECONDS).until(() -> status(id).equals("running"));
		this.client.get()
			.uri("/jobs/{id}/image", id)
			.exchange()
			.expectStatus()
			.isEqualTo(409)
			.expectHeader()
			.valueEquals(HttpHeaders.RETRY_AFTER, "2")
			.expectBody()
			.jsonPath("$.type")
			.isEqualTo(PROBLEMS + "job-not-finished");
		call.answerImage(4242);
		await().atMost(10, TimeUnit.SECONDS).until(() -> status(id).equals("succeeded"));
		EntityExchangeResult<byte[]> image = this.client.get()
			.uri("/jobs/{id}/image", id)
			.exchange()
			.expectStatus()
			.isOk()
			.expectHeader()
			.contentType(MediaType.IMAGE_PNG)
			.expectHeader()
			.valueEquals("X-Seed", "4242")
			.expectHeader()
			.valueEquals(HttpHeaders.CACHE_CONTROL, "no-store")
			.expectHeader()
			.valueEquals("X-Cache", "MISS")
			.expectHeader()
			.exists("X-Request-Id")
			.expectHeader()
			.valueMatches(HttpHeaders.CONTENT_DISPOSITION, "inline; filename=\"imagegen-[0-9a-f]{12}-4242\\.png\"")
			.expectBody()
			.returnResult();
		assertThat(image.getResponseBody()).isEqualTo(ImageFixtures.png());
		assertThat(image.getResponseHeaders().getContentLength()).isEqualTo(ImageFixtures.png().length);

		// An ended job is left as it is: DELETE answers it unchanged, and its image is still served.
		this.client.delete()
			.uri("/jobs/{id}", id)
			.exchange()
			.expectStatus()
			.isAccepted()
			.expectBody()
			.jsonPath("$.status")
			.isEqualTo("succeeded");
		this.client.get().uri("/jobs/{id}/image", id).exchange().expectStatus().isOk();
	}

	@Test
	void aFailedJobCarriesTheWorkersProblemAndItsImageIsThatProblem() {
		String id = submit().get("id").stringValue();
		WORKER.nextCall().answerProblem(503, "upstream-rate-limited", "7");
		await().atMost(10, TimeUnit.SECONDS).until(() -> status(id).equals("failed"));
		JsonNode job = job(id);
		assertThat(job.get("error").get("type").stringValue()).isEqualTo(PROBLEMS + "upstream-rate-limited");
		assertThat(job.get("error").get("status").intValue()).isEqualTo(503);
		assertThat(job.has("image")).isFalse();
		this.client.get()
			.uri("/jobs/{id}/image", id)
			.exchange()
			.expectStatus()
			.isEqualTo(503)
			.expectHeader()
			.valueEquals(HttpHeaders.RETRY_AFTER, "7")
			.expectBody()
			.jsonPath("$.type")
			.isEqualTo(PROBLEMS + "upstream-rate-limited");
	}

	@Test
	void aCancelledQueuedJobNeverReachesTheWorker() {
		String ahead = submit().get("id").stringValue();
		FakeWorker.Call first = WORKER.nextCall();
		JsonNode waiting = submit();
		String id = waiting.get("id").stringValue();
		assertThat(waiting.get("queuePosition").intValue()).isZero();
		JsonNode cancelled = cancel(id);
		assertThat(cancelled.get("status").stringValue()).isEqualTo("cancelled");
		assertThat(cancelled.get("finishedAt").isNull()).isFalse();
		first.answerImage(1);
		await().atMost(10, TimeUnit.SECONDS).until(() -> status(ahead).equals("succeeded"));
		// The queue is first in, first out: a job sent after the cancelled one reaching the worker next proves
		// the cancelled one never went.
		String after = submit().get("id").stringValue();
		FakeWorker.Call next = WORKER.nextCall();
		next.answerImage(2);
		await().atMost(10, TimeUnit.SECONDS).until(() -> status(after).equals("succeeded"));
		assertThat(WORKER.calls()).containsExactly(first, next);
		assertThat(status(id)).isEqualTo("cancelled");
		this.client.get()
			.uri("/jobs/{id}/image", id)
			.exchange()
			.expectStatus()
			.isEqualTo(409)
			.expectBody()
			.jsonPath("$.type")
			.isEqualTo(PROBLEMS + "job-cancelled");
	}

	@Test
	void aCancelledRunningJobDropsItsResult() {
		String id = submit().get("id").stringValue();
		FakeWorker.Call call = WORKER.nextCall();
		call.progress("generating", null, null);
		await().atMost(10, TimeUnit.SECONDS).until(() -> status(id).equals("running"));
		assertThat(cancel(id).get("status").stringValue()).isEqualTo("cancelled");
		call.answerImage(8);
		// The next job reaching the worker shows the cancelled one has left the API's queue slot.
		String after = submit().get("id").stringValue();
		WORKER.nextCall().answerImage(9);
		await().atMost(10, TimeUnit.SECONDS).until(() -> status(after).equals("succeeded"));
		JsonNode job = job(id);
		assertThat(job.get("status").stringValue()).isEqualTo("cancelled");
		assertThat(job.has("image")).isFalse();
		this.client.get().uri("/jobs/{id}/image", id).exchange().expectStatus().isEqualTo(409);
	}

	@Test
	void unknownIdsAre404JobNotFound() {
		for (String path : List.of("/jobs/nope", "/jobs/nope/events", "/jobs/nope/image")) {
			this.client.get()
				.uri(path)
				.exchange()
				.expectStatus()
				.isNotFound()
				.expectBody()
				.jsonPath("$.type")
				.isEqualTo(PROBLEMS + "job-not-found");
		}
		this.client.delete()
			.uri("/jobs/nope")
			.exchange()
			.expectStatus()
			.isNotFound()
			.expectBody()
			.jsonPath("$.type")
			.isEqualTo(PROBLEMS + "job-not-found");
	}

	@Test
	void anEndedJobIsGoneAfterItsRetention() {
		String id = submit().get("id").stringValue();
		WORKER.nextCall().answerImage(1);
		await().atMost(10, TimeUnit.SECONDS).until(() -> status(id).equals("succeeded"));
		NOW.addAndGet(Duration.ofMinutes(59).toNanos());
		assertThat(status(id)).isEqualTo("succeeded");
		NOW.addAndGet(Duration.ofMinutes(2).toNanos());
		this.client.get()
			.uri("/jobs/{id}", id)
			.exchange()
			.expectStatus()
			.isNotFound()
			.expectBody()
			.jsonPath("$.type")
			.isEqualTo(PROBLEMS + "job-not-found");
	}

	@Test
	void aRunningJobDoesNotExpire() {
		String id = submit().get("id").stringValue();
		FakeWorker.Call call = WORKER.nextCall();
		NOW.addAndGet(Duration.ofHours(5).toNanos());
		assertThat(status(id)).isEqualTo("queued");
		call.answerImage(1);
		await().atMost(10, TimeUnit.SECONDS).until(() -> status(id).equals("succeeded"));
	}

	@Test
	void beyondMaxJobsTheApiAnswers503TooManyJobs() {
		List<String> ids = new ArrayList<>();
		for (int i = 0; i < 20; i++) {
			this.clientIp = "198.51.100." + i;
			ids.add(submit().get("id").stringValue());
		}
		this.clientIp = "198.51.100.200";
		this.client.post()
			.uri("/jobs")
			.contentType(MediaType.APPLICATION_JSON)
			.header("X-Forwarded-For", this.clientIp)
			.bodyValue("{\"prompt\":\"the twenty-first\"}")
			.exchange()
			.expectStatus()
			.isEqualTo(503)
			.expectHeader()
			.exists(HttpHeaders.RETRY_AFTER)
			.expectBody()
			.jsonPath("$.type")
			.isEqualTo(PROBLEMS + "too-many-jobs");
		Set<String> unique = new HashSet<>(ids);
		assertThat(unique).hasSize(20);
		for (String id : ids) {
			assertThat(id).matches("[A-Za-z0-9_-]+");
			assertThat(Base64.getUrlDecoder().decode(id).length * 8).isGreaterThanOrEqualTo(128);
			cancel(id);
		}
	}

	@Test
	void aFixedSeedJobWhoseImageIsCachedSucceedsAtOnce() {
		String body = "{\"prompt\":\"cached fox\",\"seed\":1234}";
		String first = submit(body).get("id").stringValue();
		WORKER.nextCall().answerImage(1234);
		await().atMost(10, TimeUnit.SECONDS).until(() -> status(first).equals("succeeded"));
		JsonNode second = submit(body);
		assertThat(second.get("status").stringValue()).isEqualTo("succeeded");
		assertThat(second.get("seed").longValue()).isEqualTo(1234);
		assertThat(WORKER.calls()).hasSize(1);
		String etag = this.client.get()
			.uri("/jobs/{id}/image", second.get("id").stringValue())
			.exchange()
			.expectStatus()
			.isOk()
			.expectHeader()
			.valueEquals("X-Cache", "HIT")
			.returnResult(byte[].class)
			.getResponseHeaders()
			.getETag();
		assertThat(etag).isNotNull();
		// A client that has the image already gets a 304, as on /generate.
		this.client.get()
			.uri("/jobs/{id}/image", second.get("id").stringValue())
			.header(HttpHeaders.IF_NONE_MATCH, etag)
			.exchange()
			.expectStatus()
			.isNotModified()
			.expectHeader()
			.valueEquals(HttpHeaders.ETAG, etag)
			.expectHeader()
			.valueEquals("X-Seed", "1234")
			.expectBody()
			.isEmpty();
		// Cache-Control: no-cache asks for a fresh image, as on /generate.
		JsonNode fresh = this.json.readTree(this.client.post()
			.uri("/jobs")
			.contentType(MediaType.APPLICATION_JSON)
			.header("X-Forwarded-For", this.clientIp)
			.header(HttpHeaders.CACHE_CONTROL, "no-cache")
			.bodyValue(body)
			.exchange()
			.expectStatus()
			.isAccepted()
			.expectBody()
			.returnResult()
			.getResponseBody());
		assertThat(fresh.get("status").stringValue()).isEqualTo("queued");
		WORKER.nextCall().answerImage(1234);
		await().atMost(10, TimeUnit.SECONDS).until(() -> status(fresh.get("id").stringValue()).equals("succeeded"));
		assertThat(WORKER.calls()).hasSize(2);
	}

	@Test
	void aProgressStreamThatIs404DoesNotFailTheJob() {
		WORKER.progressAvailable(false);
		String id = submit().get("id").stringValue();
		FakeWorker.Call call = WORKER.nextCall();
		await().atMost(10, TimeUnit.SECONDS).until(() -> WORKER.progressRequests() == 1);
		call.answerImage(6);
		await().atMost(10, TimeUnit.SECONDS).until(() -> status(id).equals("succeeded"));
	}

	@Test
	void synchronousGenerateOpensNoProgressStream() {
		Thread answer = new Thread(() -> WORKER.nextCall().answerImage(11));
		answer.start();
		this.client.get()
			.uri("/generate?prompt=sync+fox")
			.header("X-Forwarded-For", this.clientIp)
			.exchange()
			.expectStatus()
			.isOk()
			.expectHeader()
			.valueEquals("X-Seed", "11");
		assertThat(WORKER.progressRequests()).isZero();
		assertThat(WORKER.calls()).hasSize(1);
	}

	@Test
	void idsAreUniqueAndCarryAtLeast128Bits() {
		Set<String> ids = new HashSet<>();
		for (int i = 0; i < 10_000; i++) {
			ids.add(JobService.newId());
		}
		assertThat(ids).hasSize(10_000).allSatisfy((id) -> assertThat(Base64.getUrlDecoder().decode(id)).hasSizeGreaterThanOrEqualTo(16));
	}

	@Test
	void metersCountJobsByStatusAndFinishedJobsByOutcome() {
		double cancelledBefore = finished("cancelled");
		String running = submit().get("id").stringValue();
		FakeWorker.Call call = WORKER.nextCall();
		call.progress("generating", null, null);
		await().atMost(10, TimeUnit.SECONDS).until(() -> status(running).equals("running"));
		String waiting = submit().get("id").stringValue();
		assertThat(this.meters.get("imagegen.jobs.current").tag("status", "running").gauge().value()).isEqualTo(1);
		assertThat(this.meters.get("imagegen.jobs.current").tag("status", "queued").gauge().value()).isEqualTo(1);
		assertThat(this.meters.get("imagegen.jobs.waiting").gauge().value()).isEqualTo(1);
		cancel(waiting);
		cancel(running);
		assertThat(finished("cancelled")).isEqualTo(cancelledBefore + 2);
		assertThat(this.meters.get("imagegen.jobs.current").tag("status", "running").gauge().value()).isZero();
		assertThat(this.meters.get("imagegen.jobs.waiting").gauge().value()).isZero();
	}

	private double finished(String outcome) {
		var counter = this.meters.find("imagegen.jobs.finished").tag("outcome", outcome).counter();
		return (counter != null) ? counter.count() : 0;
	}

}

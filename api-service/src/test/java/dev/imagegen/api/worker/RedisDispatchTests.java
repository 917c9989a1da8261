package dev.imagegen.api.worker;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import reactor.core.Disposable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import dev.imagegen.api.ImageFixtures;
import dev.imagegen.api.problem.ApiProblem;
import dev.imagegen.api.problem.ProblemTypes;
import dev.imagegen.api.redis.RedisModeApi;
import dev.imagegen.api.redis.RedisWorkerDouble;
import dev.imagegen.testsupport.TestRedis;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.client.WebClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The API in the Redis mode against a real Redis, with the worker played by {@link RedisWorkerDouble}: the entry on
 * the wire, the answer mapped as in the direct mode, the backlog bound, no live worker, the deadline, a lost result
 * message, a caller that leaves, Redis going away and coming back, and {@code /health} from the heartbeats.
 */
class RedisDispatchTests {

	static final String PROBLEMS = "https://imagegen.dev/problems/";

	static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";

	/** Long enough for the 5 s result read, short enough for the deadline test. */
	static final Duration WORKER_TIMEOUT = Duration.ofSeconds(8);

	static final String WORKER = "worker-a";

	static TestRedis redis;

	static RedisModeApi api;

	static RedisWorkerDouble worker;

	static WebTestClient client;

	final JsonMapper json = JsonMapper.builder().build();

	@BeforeAll
	static void start() {
		redis = TestRedis.start();
		// Two entries per live session: one session makes a backlog bound of 2.
		// The image cache on (the test configuration turns it off): a fixed-seed answer is stored as in production.
		api = RedisModeApi.start(redis, "WORKER_TIMEOUT=" + WORKER_TIMEOUT.toSeconds() + "s", "QUEUE_CAPACITY=2",
				"IMAGE_CACHE_SIZE=16MB");
		worker = new RedisWorkerDouble(redis.url());
		client = api.client();
	}

	@AfterAll
	static void stop() {
		worker.close();
		api.close();
		redis.close();
	}

	@BeforeEach
	void oneLiveWorkerWithOneSession() {
		worker.flushAll();
		worker.heartbeat(WORKER, 1);
		// The API reads the heartbeats at most a second late: wait until it sees this one, and only this one (a
		// reading from before the flush may still list a test's other workers, and their sessions).
		await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> client.get()
			.uri("/health")
			.exchange()
			.expectStatus()
			.isOk()
			.expectBody()
			.jsonPath("$.workers.length()")
			.isEqualTo(1)
			.jsonPath("$.workers[0].id")
			.isEqualTo(WORKER));
	}

	/** Runs the worker's side on another thread while the test's request blocks. */
	private static <T> CompletableFuture<T> asWorker(java.util.function.Function<RedisWorkerDouble.Entry, T> work) {
		return CompletableFuture.supplyAsync(() -> {
			RedisWorkerDouble.Entry entry = worker.take(WORKER, Duration.ofSeconds(10));
			assertThat(entry).as("an entry in the work stream").isNotNull();
			return work.apply(entry);
		});
	}

	@Test
	void syncGenerateAddsTheEntryOfTheWireAndAnswersTheWorkersImage() throws Exception {
		byte[] png = ImageFixtures.png();
		CompletableFuture<RedisWorkerDouble.Entry> served = asWorker((entry) -> {
			worker.progress(entry, WORKER, "generating", null, 2);
			worker.succeed(entry, WORKER, png, "image/png", 1234, true);
			return entry;
		});
		long before = System.currentTimeMillis();
		byte[] body = client.get()
			.uri("/generate?prompt=a red fox&seed=1234&shape=square")
			.header("traceparent", "00-" + TRACE_ID + "-00f067aa0ba902b7-01")
			.exchange()
			.expectStatus()
			.isOk()
			.expectHeader()
			.contentType(MediaType.IMAGE_PNG)
			.expectHeader()
			.valueEquals("X-Seed", "1234")
			.expectHeader()
			.valueEquals("X-Cache", "MISS")
			.expectHeader()
			.exists("ETag")
			.expectHeader()
			.contentLength(png.length)
			.expectBody()
			.returnResult()
			.getResponseBody();
		assertThat(body).isEqualTo(png);
		RedisWorkerDouble.Entry entry = served.get(10, TimeUnit.SECONDS);
		assertThat(entry.gen()).matches("[0-9a-f]{32}");
		assertThat(entry.fields().get("requestId")).isNotBlank();
		JsonNode request = this.json.readTree(entry.fields().get("request"));
		assertThat(request.path("prompt").stringValue()).isEqualTo("a red fox");
		assertThat(request.path("seed").longValue()).isEqualTo(1234);
		assertThat(request.path("shape").stringValue()).isEqualTo("square");
		assertThat(request.path("format").stringValue()).isEqualTo("png");
		assertThat(request.has("negative_prompt")).isTrue();
		long submittedAt = Long.parseLong(entry.fields().get("submittedAt"));
		long deadline = Long.parseLong(entry.fields().get("deadline"));
		assertThat(submittedAt).isBetween(before, System.currentTimeMillis());
		// WORKER_TIMEOUT less the 2 s margin, as X-Deadline-Ms in the direct mode.
		assertThat(deadline - submittedAt).isBetween(WORKER_TIMEOUT.toMillis() - 3000, WORKER_TIMEOUT.toMillis() - 2000);
		assertThat(entry.fields().get("traceparent")).startsWith("00-" + TRACE_ID + "-");
		// The API listens to a generation's channel only while it waits for it.
		await().atMost(Duration.ofSeconds(5))
			.until(() -> worker.redis().pubsubNumsub("imagegen:events:" + entry.gen()).get("imagegen:events:" + entry.gen()) == 0);
		// The result was read: the fixed-seed flight is released, and the same request is now a cache hit.
		await().atMost(Duration.ofSeconds(5)).until(() -> worker.redis().keys("imagegen:flight:*").isEmpty());
		client.get()
			.uri("/generate?prompt=a red fox&seed=1234&shape=square")
			.exchange()
			.expectStatus()
			.isOk()
			.expectHeader()
			.valueEquals("X-Cache", "HIT");
		assertThat(worker.streamLength()).isZero();
	}

	@ParameterizedTest(name = "worker {0} {1} (Retry-After {2}) → {3} {4} (Retry-After {5})")
	@CsvSource({ "503, upstream-rate-limited, 120, 503, upstream-rate-limited, 120",
			"503, shutting-down, , 503, shutting-down, 5", "422, upstream-rejected, , 422, upstream-rejected, ",
			"504, deadline-exceeded, , 504, deadline-exceeded, ", "400, invalid-request, , 502, bad-worker-response, ",
			"500, internal-error, , 502, bad-worker-response, " })
	void workerProblemsMapExactlyAsInTheDirectMode(int status, String name, String retryAfter, int expectedStatus,
			String expectedType, String expectedRetryAfter) throws Exception {
		CompletableFuture<RedisWorkerDouble.Entry> served = asWorker((entry) -> {
			worker.fail(entry, WORKER, status, "{\"type\":\"" + PROBLEMS + name + "\",\"title\":\"T\",\"status\":" + status
					+ ",\"detail\":\"worker says " + name + "\"}", retryAfter);
			return entry;
		});
		WebTestClient.ResponseSpec response = client.get().uri("/generate?prompt=fox").exchange();
		response.expectStatus().isEqualTo(expectedStatus).expectHeader().contentType("application/problem+json");
		if (expectedRetryAfter != null) {
			response.expectHeader().valueEquals("Retry-After", expectedRetryAfter);
		}
		else {
			response.expectHeader().doesNotExist("Retry-After");
		}
		response.expectBody().jsonPath("$.type").isEqualTo(PROBLEMS + expectedType).jsonPath("$.requestId").isNotEmpty();
		served.get(10, TimeUnit.SECONDS);
	}

	@Test
	void anImageOfAnotherTypeThanDeclaredIsABadWorkerResponse() throws Exception {
		CompletableFuture<RedisWorkerDouble.Entry> served = asWorker((entry) -> {
			worker.succeed(entry, WORKER, ImageFixtures.jpeg(), "image/png", 5, true);
			return entry;
		});
		client.get()
			.uri("/generate?prompt=fox")
			.exchange()
			.expectStatus()
			.isEqualTo(502)
			.expectBody()
			.jsonPath("$.type")
			.isEqualTo(PROBLEMS + "bad-worker-response");
		served.get(10, TimeUnit.SECONDS);
	}

	@Test
	void aFullBacklogIsQueueFullWithRetryAfterAndAddsNothing() {
		worker.addDummyEntries(2);
		double before = queueFullCount();
		client.get()
			.uri("/generate?prompt=fox")
			.exchange()
			.expectStatus()
			.isEqualTo(503)
			.expectHeader()
			.valueEquals("Retry-After", "5")
			.expectBody()
			.jsonPath("$.type")
			.isEqualTo(PROBLEMS + "queue-full");
		assertThat(worker.streamLength()).isEqualTo(2);
		assertThat(queueFullCount()).isEqualTo(before + 1);
		// The subscription made together with the refused add ends with the refusal: none is left behind.
		await().atMost(Duration.ofSeconds(5))
			.untilAsserted(() -> assertThat(worker.redis().pubsubChannels(RedisWorkerDouble.PREFIX + "events:*")).isEmpty());
	}

	@Test
	void noLiveWorkerIsWorkerUnavailableWithRetryAfterAndAddsNothing() {
		worker.flushAll();
		// The API reads heartbeats at most a second late: wait until it has seen the worker go.
		await().atMost(Duration.ofSeconds(5))
			.until(() -> client.get().uri("/health").exchange().returnResult(byte[].class).getStatus().value() == 503);
		await().atMost(Duration.ofSeconds(5))
			.untilAsserted(() -> client.get()
				.uri("/generate?prompt=fox")
				.exchange()
				.expectStatus()
				.isEqualTo(503)
				.expectHeader()
				.valueEquals("Retry-After", "5")
				.expectBody()
				.jsonPath("$.type")
				.isEqualTo(PROBLEMS + "worker-unavailable"));
		assertThat(worker.streamLength()).isZero();
		client.get()
			.uri("/health")
			.exchange()
			.expectStatus()
			.isEqualTo(503)
			.expectBody()
			.jsonPath("$.status")
			.isEqualTo("DOWN")
			.jsonPath("$.redis.status")
			.isEqualTo("UP")
			.jsonPath("$.detail")
			.value(String.class, (detail) -> assertThat(detail).contains("heartbeat"));
		client.get().uri("/readyz").exchange().expectStatus().isEqualTo(503);
	}

	@Test
	void aGenerationNoWorkerTakesIsDeadlineExceededAtWorkerTimeout() {
		long before = dispatches("deadline-exceeded");
		long start = System.nanoTime();
		client.get()
			.uri("/generate?prompt=fox")
			.exchange()
			.expectStatus()
			.isEqualTo(504)
			.expectBody()
			.jsonPath("$.type")
			.isEqualTo(PROBLEMS + "deadline-exceeded");
		Duration took = Duration.ofNanos(System.nanoTime() - start);
		assertThat(took).isGreaterThanOrEqualTo(WORKER_TIMEOUT.minusMillis(100))
			.isLessThan(WORKER_TIMEOUT.plusSeconds(3));
		// The entry is still there for a worker to drop (its deadline has passed).
		assertThat(worker.streamLength()).isEqualTo(1);
		assertThat(dispatches("deadline-exceeded")).isEqualTo(before + 1);
	}

	@Test
	void aLostResultMessageStillCompletesThroughTheResultRead() throws Exception {
		byte[] png = ImageFixtures.png();
		CompletableFuture<RedisWorkerDouble.Entry> served = asWorker((entry) -> {
			worker.succeed(entry, WORKER, png, "image/png", 77, false);
			return entry;
		});
		byte[] body = client.get()
			.uri("/generate?prompt=fox")
			.exchange()
			.expectStatus()
			.isOk()
			.expectBody()
			.returnResult()
			.getResponseBody();
		assertThat(body).isEqualTo(png);
		served.get(10, TimeUnit.SECONDS);
	}

	@Test
	void aCallerThatLeavesSetsTheCancelKeyUntilTheDeadline() throws Exception {
		CompletableFuture<RedisWorkerDouble.Entry> taken = CompletableFuture
			.supplyAsync(() -> worker.take(WORKER, Duration.ofSeconds(10)));
		AtomicReference<Object> outcome = new AtomicReference<>();
		Disposable call = WebClient.create(api.baseUrl())
			.get()
			.uri("/generate?prompt=fox")
			.retrieve()
			.bodyToMono(byte[].class)
			.subscribe(outcome::set, outcome::set);
		RedisWorkerDouble.Entry entry = taken.get(10, TimeUnit.SECONDS);
		assertThat(entry).isNotNull();
		String cancel = "imagegen:cancel:" + entry.gen();
		assertThat(worker.redis().exists(cancel)).isZero();
		call.dispose();
		await().atMost(Duration.ofSeconds(5)).until(() -> worker.redis().exists(cancel) == 1);
		long deadline = Long.parseLong(entry.fields().get("deadline"));
		assertThat(worker.redis().pttl(cancel)).isPositive().isLessThanOrEqualTo(deadline - System.currentTimeMillis() + 50);
		assertThat(outcome.get()).isNull();
	}

	@Test
	void progressIsForwardedAndTheDispatchIsAnnounced() throws Exception {
		List<Object> events = new CopyOnWriteArrayList<>();
		List<String> workers = new CopyOnWriteArrayList<>();
		ProgressListener listener = new ProgressListener() {
			@Override
			public void onProgress(WorkerProgress progress) {
				events.add(progress);
			}

			@Override
			public void onDispatched(String generationId) {
				events.add(generationId);
			}
		};
		long successes = dispatches("success");
		CompletableFuture<WorkerImage> image = api.bean(RedisDispatch.class)
			.generate(new WorkerRequest("fox", "", 5, 7.0, "square", "png"), MediaType.IMAGE_PNG, "progress-1",
					workers::add, listener, null)
			.toFuture();
		RedisWorkerDouble.Entry entry = worker.take(WORKER, Duration.ofSeconds(10));
		assertThat(entry.fields().get("requestId")).isEqualTo("progress-1");
		await().atMost(Duration.ofSeconds(5)).until(() -> events.contains(entry.gen()));
		worker.progress(entry, WORKER, "queued", 0, null);
		worker.progress(entry, WORKER, "generating", null, 3);
		await().atMost(Duration.ofSeconds(5)).until(() -> events.size() == 3);
		worker.succeed(entry, WORKER, ImageFixtures.png(), "image/png", 5, true);
		WorkerImage done = image.get(10, TimeUnit.SECONDS);
		assertThat(dispatches("success")).isEqualTo(successes + 1);
		assertThat(events).containsExactly(entry.gen(), new WorkerProgress("queued", 0, null),
				new WorkerProgress("generating", null, 3));
		assertThat(workers).containsExactly(WORKER);
		assertThat(done.seed()).isEqualTo(5);
		assertThat(done.worker()).isEqualTo(WORKER);
		assertThat(done.bytes()).isEqualTo(ImageFixtures.png());
	}

	@Test
	void healthListsTheLiveWorkersFromTheirHeartbeats() {
		worker.heartbeat("worker-b", 3);
		await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> client.get()
			.uri("/health")
			.exchange()
			.expectStatus()
			.isOk()
			.expectHeader()
			.valueEquals("Cache-Control", "no-store")
			.expectBody()
			.jsonPath("$.status")
			.isEqualTo("UP")
			.jsonPath("$.redis.status")
			.isEqualTo("UP")
			.jsonPath("$.workers.length()")
			.isEqualTo(2)
			.jsonPath("$.workers[0].id")
			.isEqualTo(WORKER)
			.jsonPath("$.workers[0].sessions")
			.isEqualTo(1)
			.jsonPath("$.workers[0].heartbeatAt")
			.isNotEmpty()
			.jsonPath("$.workers[1].id")
			.isEqualTo("worker-b")
			.jsonPath("$.workers[1].sessions")
			.isEqualTo(3));
		client.get().uri("/readyz").exchange().expectStatus().isOk();
	}

	@Test
	void theLiveWorkersAreReadFromTheRegistryWithoutScanningTheKeyspace() {
		// The keyspace of a busy system: a result per generation of the last hour. A heartbeat key that no
		// registry member names is not a worker's (only the registry is read).
		for (int i = 0; i < 2_000; i++) {
			worker.redis().psetex(RedisWorkerDouble.PREFIX + "result:old-" + i, 60_000, "x");
		}
		worker.redis().psetex(RedisWorkerDouble.PREFIX + "worker:unregistered", 60_000, "{\"id\":\"unregistered\"}");
		// Counted from here: any reading that lists worker-c was made after this.
		worker.redis().configResetstat();
		worker.heartbeat("worker-c", 2);
		await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> client.get()
			.uri("/health")
			.exchange()
			.expectBody()
			.jsonPath("$.workers[*].id")
			.value((ids) -> assertThat(ids.toString()).contains("worker-c").doesNotContain("unregistered")));

		assertThat(worker.redis().info("commandstats")).contains("cmdstat_zrange").doesNotContain("cmdstat_scan");
	}

	@Test
	void theDispatchTakesARecentReadingOfTheWorkersWithoutWaitingForRedis() {
		LiveWorkers workers = api.bean(LiveWorkers.class);
		assertThat(workers.sessions().block(Duration.ofSeconds(5))).isEqualTo(1);
		// Past the reading's second, within its five: what /health reads anew, the dispatch takes as it is.
		await().pollDelay(LiveWorkers.CACHE_TTL.plusMillis(200)).atMost(Duration.ofSeconds(3)).until(() -> true);
		redis.pause();
		try {
			assertThat(workers.sessions().block(Duration.ofMillis(500))).isEqualTo(1);
			assertThatThrownBy(() -> workers.list().block(Duration.ofSeconds(10))).isNotNull();
		}
		finally {
			redis.resume();
		}
		// Every connection back (the client limits' too) before the next test: an unknown job is a 404 again.
		await().atMost(Duration.ofSeconds(30))
			.pollInterval(Duration.ofMillis(200))
			.until(() -> client.get().uri("/jobs/no-such-job").exchange().returnResult(byte[].class).getStatus().value() == 404);
	}

	@Test
	void redisDownIsAQuickQueueUnavailableAndItRecoversWithoutARestart() throws Exception {
		redis.pause();
		try {
			long start = System.nanoTime();
			await().atMost(Duration.ofSeconds(10))
				.untilAsserted(() -> client.get()
					.uri("/generate?prompt=fox")
					.exchange()
					.expectStatus()
					.isEqualTo(503)
					.expectHeader()
					.valueEquals("Retry-After", "5")
					.expectBody()
					.jsonPath("$.type")
					.isEqualTo(PROBLEMS + "queue-unavailable"));
			assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(WORKER_TIMEOUT);
			// The client limits answer before the dispatch and fail at once, while /health reuses its reading of
			// the heartbeats for up to LiveWorkers.CACHE_TTL: it says DOWN once that reading has expired.
			await().atMost(Duration.ofSeconds(5))
				.untilAsserted(() -> client.get()
					.uri("/health")
					.exchange()
					.expectStatus()
					.isEqualTo(503)
					.expectBody()
					.jsonPath("$.status")
					.isEqualTo("DOWN")
					.jsonPath("$.redis.status")
					.isEqualTo("DOWN")
					.jsonPath("$.redis.reason")
					.isNotEmpty());
			client.get().uri("/readyz").exchange().expectStatus().isEqualTo(503);
			// The dispatch itself (which the client limits now shield over HTTP) fails the same way, in time.
			assertThatThrownBy(() -> api.bean(RedisDispatch.class)
				.generate(new WorkerRequest("fox", "", 5, 7.0, "square", "png"), MediaType.IMAGE_PNG, "redis-down",
						(id) -> {
						}, null, null)
				.block(WORKER_TIMEOUT))
				.isInstanceOfSatisfying(ApiProblem.class, (problem) -> {
					assertThat(problem.type()).isEqualTo(ProblemTypes.QUEUE_UNAVAILABLE);
					assertThat(problem.status()).isEqualTo(503);
				});
		}
		finally {
			redis.resume();
		}
		// Redis came back empty: the worker's next heartbeat makes it live again.
		await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).until(() -> {
			worker.heartbeat(WORKER, 1);
			return client.get().uri("/health").exchange().returnResult(byte[].class).getStatus().value() == 200;
		});
		byte[] png = ImageFixtures.png();
		CompletableFuture<RedisWorkerDouble.Entry> served = asWorker((entry) -> {
			worker.succeed(entry, WORKER, png, "image/png", 3, true);
			return entry;
		});
		// The client limits' own connection may reconnect a little after the one /health reads, and answers 503
		// queue-unavailable at once until it has (no entry is added then): the first request that passes them is
		// served. Any other answer fails the test at once.
		await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200)).until(() -> {
			EntityExchangeResult<byte[]> answer = client.get()
				.uri("/generate?prompt=fox")
				.exchange()
				.expectBody()
				.returnResult();
			if (answer.getStatus().value() == 200) {
				return true;
			}
			assertThat(answer.getStatus().value()).isEqualTo(503);
			assertThat(new String(answer.getResponseBodyContent(), java.nio.charset.StandardCharsets.UTF_8))
				.contains(PROBLEMS + "queue-unavailable");
			return false;
		});
		served.get(10, TimeUnit.SECONDS);
	}

	private static long dispatches(String outcome) {
		io.micrometer.core.instrument.Timer timer = api.bean(MeterRegistry.class)
			.find("imagegen.redis.dispatch")
			.tag("outcome", outcome)
			.timer();
		return (timer != null) ? timer.count() : 0;
	}

	private static double queueFullCount() {
		return api.bean(MeterRegistry.class).counter("imagegen.redis.queue.full").count();
	}

}

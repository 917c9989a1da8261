package dev.imagegen.system.e2e;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Redis mode through the real jars: two workers and two API replicas that know each other only through one
 * Redis. Work spreads over both workers from both APIs, a job and a cached image made through one API are served
 * by the other, a worker killed with jobs in flight loses none of them, and Redis going away and coming back is
 * answered with a typed 503 and then recovered from without a restart. The destructive cases run last.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RedisScaleOutEndToEndTests {

	private static final Duration TIMEOUT = Duration.ofSeconds(90);

	private static ScaleOutSystem system;

	@BeforeAll
	static void startSystem() {
		system = ScaleOutSystem.start("scale-out", 2, 2);
	}

	@AfterAll
	static void stopSystem() {
		if (system != null) {
			system.close();
		}
	}

	@AfterEach
	void quickUpstream() {
		system.emulatorControl().configure(Map.of("generateLatencyMs", 150));
	}

	@Test
	@Order(1)
	void requestsSpreadOverBothApisAreServedByBothWorkers() {
		// Slow enough upstream that six concurrent generations need both single-session workers.
		system.emulatorControl().configure(Map.of("generateLatencyMs", 1500));
		system.emulatorControl().clearLog();
		List<CompletableFuture<HttpResponse<byte[]>>> calls = new ArrayList<>();
		for (int i = 0; i < 6; i++) {
			ApiClient api = system.api(i % 2);
			String prompt = "a harbour " + UUID.randomUUID();
			calls.add(CompletableFuture.supplyAsync(() -> api.generate(Map.of("prompt", prompt), TIMEOUT)));
		}
		for (CompletableFuture<HttpResponse<byte[]>> call : calls) {
			HttpResponse<byte[]> response = call.join();
			assertThat(response.statusCode()).as(() -> ApiClient.text(response) + system.logs()).isEqualTo(200);
			assertThat(Images.isPng(response.body())).isTrue();
		}
		Set<String> keys = system.emulatorControl()
			.generateCalls()
			.stream()
			.map((call) -> call.path("userKey").asString())
			.collect(Collectors.toSet());
		assertThat(keys).as("the upstream identities (one per worker) that generated").hasSize(2);
	}

	@Test
	@Order(2)
	void aJobMadeOnOneApiIsReadAndStreamedFromTheOther() {
		HttpResponse<byte[]> submitted = system.api(0)
			.post("/jobs", Map.of("prompt", "a lighthouse " + UUID.randomUUID()), TIMEOUT);
		assertThat(submitted.statusCode()).as(() -> ApiClient.text(submitted) + system.logs()).isEqualTo(202);
		String location = submitted.headers().firstValue("Location").orElseThrow();

		List<JsonNode> events = system.api(1).events(location + "/events", TIMEOUT);
		assertThat(events).as(() -> events + system.logs()).isNotEmpty();
		JsonNode last = events.get(events.size() - 1);
		assertThat(last.path("status").asString()).as(events::toString).isEqualTo("succeeded");

		JsonNode state = ApiClient.json(system.api(1).get(location, TIMEOUT));
		assertThat(state.path("status").asString()).isEqualTo("succeeded");
		HttpResponse<byte[]> image = system.api(1).get(location + "/image", TIMEOUT);
		assertThat(image.statusCode()).as(() -> ApiClient.text(image)).isEqualTo(200);
		assertThat(Images.isPng(image.body())).isTrue();
		assertThat(image.headers().firstValue("X-Seed")).hasValue(Long.toString(last.path("seed").asLong()));
	}

	@Test
	@Order(3)
	void aCachedImageMadeThroughOneApiIsAHitOnTheOtherWithoutAnUpstreamCall() {
		Map<String, String> query = Map.of("prompt", "a glacier " + UUID.randomUUID(), "seed", "4242");
		HttpResponse<byte[]> first = system.api(0).generate(query, TIMEOUT);
		assertThat(first.statusCode()).as(() -> ApiClient.text(first) + system.logs()).isEqualTo(200);
		assertThat(first.headers().firstValue("X-Cache")).hasValue("MISS");
		system.emulatorControl().clearLog();

		HttpResponse<byte[]> second = system.api(1).generate(query, TIMEOUT);
		assertThat(second.statusCode()).as(() -> ApiClient.text(second)).isEqualTo(200);
		assertThat(second.headers().firstValue("X-Cache")).hasValue("HIT");
		assertThat(second.body()).isEqualTo(first.body());
		assertThat(system.emulatorControl().generateCalls()).isEmpty();
	}

	@Test
	@Order(4)
	void theRedisModesSeriesThatTheDashboardAndAlertsQueryAreExported() {
		assertThat(MonitoringEndToEndTests.queriedMetrics()).containsAll(MonitoringEndToEndTests.REDIS_MODE_ONLY);
		assertThat(system.apiSeries(0)).containsAll(MonitoringEndToEndTests.REDIS_MODE_ONLY);
	}

	@Test
	@Order(5)
	void oneTraceRunsThroughRedisFromTheApiToTheWorkerAndBothAccessLinesCarryIt() {
		String traceId = "5bf92f3577b34da6a3ce929d0e0e4737";
		String requestId = "redis-trace-" + UUID.randomUUID();
		String prompt = "a traced lagoon " + UUID.randomUUID();
		HttpResponse<byte[]> response = system.api(0)
			.get("/generate?prompt=" + prompt.replace(' ', '+'), TIMEOUT, "X-Request-Id", requestId, "traceparent",
					"00-" + traceId + "-00f067aa0ba902b7-01");
		assertThat(response.statusCode()).as(() -> ApiClient.text(response) + system.logs()).isEqualTo(200);

		String api = "requestId=" + requestId + " traceId=" + traceId + " ";
		String worker = "requestId=" + requestId + " traceId=" + traceId + " entry=";
		Awaitility.await("both access lines")
			.atMost(TIMEOUT)
			.untilAsserted(() -> {
				assertThat(system.apis().get(0).log()).as("the API's access line").contains(api);
				assertThat(system.workers().stream().map(ServiceProcess::log).filter((log) -> log.contains(worker)))
					.as("the worker's line for the entry continues the API's trace")
					.hasSize(1);
			});
		// The worker's line says how the entry ended, and neither service logs the prompt.
		assertThat(system.workers().stream().map(ServiceProcess::log).filter((log) -> log.contains(worker)).findFirst())
			.hasValueSatisfying((log) -> assertThat(log.lines().filter((line) -> line.contains(worker)))
				.singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
				.contains("outcome=done status=200 problem=-"));
		for (ServiceProcess service : system.apis()) {
			assertThat(service.log()).doesNotContain(prompt);
		}
		for (ServiceProcess service : system.workers()) {
			assertThat(service.log()).doesNotContain(prompt);
		}
	}

	@Test
	@Order(10)
	void aWorkerKilledWithJobsInFlightLosesNone() {
		system.emulatorControl().configure(Map.of("generateLatencyMs", 3000));
		system.emulatorControl().clearLog();
		List<String> jobs = new ArrayList<>();
		for (int i = 0; i < 4; i++) {
			HttpResponse<byte[]> submitted = system.api(i % 2)
				.post("/jobs", Map.of("prompt", "a canyon " + UUID.randomUUID()), TIMEOUT);
			assertThat(submitted.statusCode()).as(() -> ApiClient.text(submitted)).isEqualTo(202);
			jobs.add(submitted.headers().firstValue("Location").orElseThrow());
		}
		// Both workers are generating (one upstream call each) when the first one dies.
		Awaitility.await("both workers generating")
			.atMost(TIMEOUT)
			.until(() -> system.emulatorControl()
				.generateCalls()
				.stream()
				.map((call) -> call.path("userKey").asString())
				.distinct()
				.count() == 2);
		system.workers().get(0).kill();

		for (String job : jobs) {
			List<JsonNode> events = system.api(1).events(job + "/events", TIMEOUT);
			assertThat(events).isNotEmpty();
			JsonNode last = events.get(events.size() - 1);
			assertThat(last.path("status").asString()).as(() -> job + " " + events + system.logs())
				.isEqualTo("succeeded");
			assertThat(system.api(0).get(job + "/image", TIMEOUT).statusCode()).isEqualTo(200);
		}
		// The killed worker's entry was taken over by the live one, not answered by chance some other way.
		assertThat(system.workerMetric(1, "imagegen_worker_redis_entries_total", "outcome=\"claimed\""))
			.as(system::logs)
			.isGreaterThanOrEqualTo(1);
		system.workers().get(0).start(ImagegenSystem.READINESS_DEADLINE);
	}

	@Test
	@Order(20)
	void redisGoingAwayIsATyped503AndComingBackNeedsNoRestart() {
		system.redis().pause();
		try {
			HttpResponse<byte[]> refused = system.api(0)
				.generate(Map.of("prompt", "a volcano " + UUID.randomUUID()), Duration.ofSeconds(15));
			assertThat(refused.statusCode()).as(() -> ApiClient.text(refused)).isEqualTo(503);
			assertThat(ApiClient.json(refused).path("type").asString()).endsWith("/queue-unavailable");
			assertThat(refused.headers().firstValue("Retry-After")).isPresent();
			HttpResponse<byte[]> health = system.api(1).get("/health", Duration.ofSeconds(15));
			assertThat(health.statusCode()).as(() -> ApiClient.text(health)).isEqualTo(503);
		}
		finally {
			system.redis().resume();
		}
		Awaitility.await("a generation after Redis came back")
			.atMost(TIMEOUT)
			.pollInterval(Duration.ofSeconds(2))
			.until(() -> system.api(1)
				.generate(Map.of("prompt", "a volcano " + UUID.randomUUID()), Duration.ofSeconds(30))
				.statusCode() == 200);
	}

}

package dev.imagegen.system.e2e;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Asynchronous jobs through the real jars: the API's job follows the worker's progress stream, which reports the
 * worker's phases and Perchance's own queue position (the emulator's simulated queue) while the generate call waits.
 */
class JobsEndToEndTests {

	private static final Duration TIMEOUT = Duration.ofSeconds(90);

	private static final Set<String> TERMINAL = Set.of("succeeded", "failed", "cancelled");

	private static ImagegenSystem system;

	private static ApiClient api;

	@BeforeAll
	static void startSystem() {
		system = ImagegenSystem.start("jobs");
		api = new ApiClient(system.api().baseUrl());
	}

	@AfterAll
	static void stopSystem() {
		if (system != null) {
			system.close();
		}
	}

	/**
	 * Empties the upstream queue, then waits for the worker to be idle. A cancelled job's generate call is still held
	 * upstream until the queue empties; the emulator rechecks its queue every 50 ms, so a queue the next test sets
	 * right away would catch that call again, and the next job would wait behind it.
	 */
	@AfterEach
	void emptyUpstreamQueueAndAwaitAnIdleWorker() {
		system.emulatorControl().queue(Map.of("ahead", 0, "stepMs", 1000));
		awaitIdleWorker();
	}

	private static void awaitIdleWorker() {
		ApiClient worker = new ApiClient(system.worker().baseUrl());
		Awaitility.await("the worker's session is ready and its queue empty").atMost(TIMEOUT).until(() -> {
			JsonNode health = ApiClient.json(worker.get("/health", TIMEOUT));
			boolean sessionsReady = health.path("sessions").valueStream()
				.allMatch((session) -> session.path("state").asString().equals("ready"));
			return sessionsReady && health.path("queue").path("depth").asInt(-1) == 0;
		});
	}

	@Test
	void aJobReportsPerchancesQueuePositionAndItsPhasesThenServesItsImage() {
		// Eight jobs ahead, one worked off every 2 s, counted from now: even when the job first waits several seconds
		// for the worker (still finishing an earlier test's cancelled job), its generate call waits upstream long
		// enough for the worker's queue-position polls (at most one per 5 s) to see a place in the queue.
		system.emulatorControl().queue(Map.of("ahead", 8, "stepMs", 2000));
		HttpResponse<byte[]> submitted = api.post("/jobs", Map.of("prompt", "a lighthouse " + UUID.randomUUID()),
				TIMEOUT);
		assertThat(submitted.statusCode()).as(() -> ApiClient.text(submitted) + system.logs()).isEqualTo(202);
		String location = submitted.headers().firstValue("Location").orElseThrow();
		String id = ApiClient.json(submitted).path("id").asString();
		assertThat(location).isEqualTo("/jobs/" + id);

		List<JsonNode> events = events(location + "/events");

		JsonNode last = events.get(events.size() - 1);
		assertThat(last.path("status").asString()).as(() -> events + system.logs()).isEqualTo("succeeded");
		List<String> phases = events.stream().map((event) -> event.path("phase").asString()).distinct().toList();
		assertThat(phases).as(events::toString).contains("generating", "done");
		assertThat(phases.indexOf("generating")).isLessThan(phases.indexOf("done"));
		assertThat(events).as("Perchance's queue position reached the job")
			.anySatisfy((event) -> assertThat(event.path("upstreamQueuePosition").asInt(0)).isPositive());

		HttpResponse<byte[]> image = api.get(last.path("image").asString(), TIMEOUT);
		assertThat(image.statusCode()).isEqualTo(200);
		assertThat(Images.isPng(image.body())).isTrue();
		assertThat(image.headers().firstValue("X-Seed")).hasValue(Long.toString(last.path("seed").asLong()));
	}

	@Test
	void aCancelledRunningJobEndsCancelledHasNoImageAndIsAbandonedBeforeItsDownload() {
		system.emulatorControl().clearLog();
		system.emulatorControl().queue(Map.of("ahead", 50, "stepMs", 2000));
		HttpResponse<byte[]> submitted = api.post("/jobs", Map.of("prompt", "a windmill " + UUID.randomUUID()),
				TIMEOUT);
		assertThat(submitted.statusCode()).as(() -> ApiClient.text(submitted)).isEqualTo(202);
		String location = submitted.headers().firstValue("Location").orElseThrow();

		// Held upstream behind the simulated queue: the job is running until it is cancelled.
		Awaitility.await()
			.atMost(TIMEOUT)
			.until(() -> ApiClient.json(api.get(location, TIMEOUT)).path("phase").asString(), "generating"::equals);
		HttpResponse<byte[]> cancelled = api.delete(location, TIMEOUT);
		assertThat(cancelled.statusCode()).isEqualTo(202);
		assertThat(ApiClient.json(cancelled).path("status").asString()).isEqualTo("cancelled");

		HttpResponse<byte[]> image = api.get(location + "/image", TIMEOUT);
		assertThat(image.statusCode()).isEqualTo(409);
		assertThat(ApiClient.json(image).path("type").asString()).endsWith("job-cancelled");
		assertThat(ApiClient.json(api.get(location, TIMEOUT)).path("status").asString()).isEqualTo("cancelled");

		// Once the upstream queue is worked off the held generate call ends; the worker gives the job up at that
		// step boundary instead of downloading its image.
		system.emulatorControl().queue(Map.of("ahead", 0, "stepMs", 1000));
		awaitIdleWorker();
		List<JsonNode> log = system.emulatorControl().log();
		assertThat(log).as("the generate call was made")
			.anySatisfy((entry) -> assertThat(entry.path("path").asString()).isEqualTo("/api/generate"));
		assertThat(log).as(() -> "no image download after the cancel: " + log)
			.noneSatisfy((entry) -> assertThat(entry.path("path").asString()).startsWith("/api/downloadTemporaryImage"));
	}

	@Test
	void aJobCancelledWhileQueuedInTheWorkerNeverReachesPerchance() {
		system.emulatorControl().clearLog();
		system.emulatorControl().queue(Map.of("ahead", 50, "stepMs", 2000));
		String running = submit("a harbour " + UUID.randomUUID());
		Awaitility.await()
			.atMost(TIMEOUT)
			.until(() -> ApiClient.json(api.get(running, TIMEOUT)).path("phase").asString(), "generating"::equals);
		String marker = UUID.randomUUID().toString();
		String queued = submit("a kite " + marker);
		// The one-session worker holds it in its queue behind the running job (next: position 0), and says so.
		ApiClient worker = new ApiClient(system.worker().baseUrl());
		Awaitility.await("the second job waits in the worker's queue").atMost(TIMEOUT).until(() -> {
			JsonNode job = ApiClient.json(api.get(queued, TIMEOUT));
			int depth = ApiClient.json(worker.get("/health", TIMEOUT)).path("queue").path("depth").asInt(-1);
			return job.path("status").asString().equals("queued") && job.path("queuePosition").isNumber()
					&& depth == 1;
		});
		assertThat(ApiClient.json(api.delete(queued, TIMEOUT)).path("status").asString()).isEqualTo("cancelled");
		assertThat(ApiClient.json(api.delete(running, TIMEOUT)).path("status").asString()).isEqualTo("cancelled");

		// Once the upstream queue is worked off, the held call ends and the session could take the next job;
		// a worker that is idle again has either run the queued job or dropped it.
		system.emulatorControl().queue(Map.of("ahead", 0, "stepMs", 1000));
		awaitIdleWorker();
		List<JsonNode> generateCalls = system.emulatorControl().generateCalls();
		assertThat(generateCalls).as("the running job reached Perchance").hasSize(1);
		assertThat(generateCalls).as(() -> "the cancelled queued job never did: " + generateCalls)
			.noneSatisfy((call) -> assertThat(call.toString()).contains(marker));
		assertThat(ApiClient.json(api.get(queued, TIMEOUT)).path("status").asString()).isEqualTo("cancelled");
	}

	private static String submit(String prompt) {
		HttpResponse<byte[]> submitted = api.post("/jobs", Map.of("prompt", prompt), TIMEOUT);
		assertThat(submitted.statusCode()).as(() -> ApiClient.text(submitted)).isEqualTo(202);
		return submitted.headers().firstValue("Location").orElseThrow();
	}

	/** Reads the job's event stream to its end (the stream ends after the terminal event). */
	private List<JsonNode> events(String path) {
		List<JsonNode> events = api.events(path, TIMEOUT);
		assertThat(events).isNotEmpty();
		assertThat(TERMINAL).contains(events.get(events.size() - 1).path("status").asString());
		return events;
	}

}

package dev.imagegen.worker.browser;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.TestPropertySource;

import io.micrometer.core.instrument.MeterRegistry;

import dev.imagegen.worker.support.Emulator;
import dev.imagegen.worker.support.WorkerTestBase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two sessions (two profiles, two keys): they generate in parallel, and a browser killed mid-job is relaunched
 * while its job is retried once on a healthy session.
 */
@TestPropertySource(properties = { "imagegen.test.context=two-sessions", "imagegen.worker.browser.sessions=2" })
@DirtiesContext
class BrowserCrashTests extends WorkerTestBase {

	@Autowired
	private MeterRegistry registry;

	@Test
	void twoSessionsGenerateInParallelWithTheirOwnKeys() {
		Emulator.config(Map.of("generateLatencyMs", 1500));
		CompletableFuture<HttpResponse<byte[]>> a = CompletableFuture.supplyAsync(() -> generate(body("parallel a")));
		CompletableFuture<HttpResponse<byte[]>> b = CompletableFuture.supplyAsync(() -> generate(body("parallel b")));

		assertThat(a.join().statusCode()).isEqualTo(200);
		assertThat(b.join().statusCode()).isEqualTo(200);
		List<JsonNode> successes = Emulator.log("/api/generate", (e) -> "success".equals(e.path("outcome").asString()));
		assertThat(successes.stream().map((e) -> e.path("userKey").asString()).distinct()).hasSize(2);
		assertThat(Emulator.log("/api/generate")).allSatisfy(
				(p) -> assertThat(p.path("inFlightForSameKey").asBoolean()).isFalse());
	}

	@Test
	void aBrowserKilledMidJobIsRelaunchedAndTheJobRetriedOnce() {
		generate(body("warm the key"));
		Emulator.config(Map.of("generateLatencyMs", 3000));
		double restartsBefore = restarts();

		CompletableFuture<HttpResponse<byte[]>> job = CompletableFuture.supplyAsync(() -> generate(body("survive a crash")));
		await().atMost(Duration.ofSeconds(10))
			.until(() -> this.pool.snapshot().sessions().stream().anyMatch((s) -> s.state().equals("busy")));
		int busy = busySession();
		Path profile = profileOf(busy);
		List<ProcessHandle> browsers = ProcessHandle.current()
			.descendants()
			.filter((p) -> p.info().commandLine().map((c) -> c.contains(profile.toString())).orElse(false))
			.toList();
		assertThat(browsers).as("browser processes of %s", profile).isNotEmpty();
		browsers.forEach(ProcessHandle::destroyForcibly);

		HttpResponse<byte[]> response = job.join();
		assertThat(response.statusCode()).as(() -> new String(response.body())).isEqualTo(200);
		assertThat(Emulator.log("/api/generate", Emulator.prompt("survive a crash"))).hasSizeBetween(2, 3);
		await().atMost(Duration.ofSeconds(30)).until(() -> restarts() > restartsBefore);
		await().atMost(Duration.ofSeconds(60))
			.until(() -> this.pool.snapshot().sessions().stream().allMatch(SessionSnapshot::canServe));
		Emulator.config(Map.of("generateLatencyMs", 100));
		assertThat(generate(body("after the crash")).statusCode()).isEqualTo(200);
	}

	@Test
	void aBrowserKilledWhileIdleIsNoticedWithoutAJob() {
		double restartsBefore = restarts();
		Path profile = profileOf(1);
		List<ProcessHandle> browsers = ProcessHandle.current()
			.descendants()
			.filter((p) -> p.info().commandLine().map((c) -> c.contains(profile.toString())).orElse(false))
			.toList();
		assertThat(browsers).as("browser processes of %s", profile).isNotEmpty();

		browsers.forEach(ProcessHandle::destroyForcibly);

		// No job is sent: only the idle ping can bring the crash to light.
		await().atMost(Duration.ofSeconds(30)).until(() -> restarts() > restartsBefore);
		assertThat(Emulator.log("/api/generate")).isEmpty();
		await().atMost(Duration.ofSeconds(60))
			.until(() -> this.pool.snapshot().sessions().stream().allMatch(SessionSnapshot::canServe));
	}

	private int busySession() {
		List<SessionSnapshot> sessions = this.pool.snapshot().sessions();
		for (int i = 0; i < sessions.size(); i++) {
			if (sessions.get(i).state().equals("busy")) {
				return i;
			}
		}
		throw new AssertionError("no busy session");
	}

	private double restarts() {
		return this.registry.find("imagegen.worker.browser.restarts").counters().stream().mapToDouble((c) -> c.count()).sum();
	}

}

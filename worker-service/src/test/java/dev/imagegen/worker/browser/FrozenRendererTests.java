package dev.imagegen.worker.browser;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.TestPropertySource;

import io.micrometer.core.instrument.MeterRegistry;

import dev.imagegen.worker.support.Emulator;
import dev.imagegen.worker.support.WorkerTestBase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A renderer frozen (SIGSTOP) mid-job, during the warm-up's key retrieval or while the session is idle: {@code page.evaluate} never returns and the
 * in-page timer never fires. A job's caller still gets its 504 at the deadline; in both cases the watchdog kills
 * the browser once the hanging call is past its budget, so the session relaunches and serves again.
 */
@TestPropertySource(properties = { "imagegen.test.context=frozen", "imagegen.test.generation-timeout=6s" })
@DirtiesContext
class FrozenRendererTests extends WorkerTestBase {

	@Autowired
	private MeterRegistry registry;

	@Test
	void aFrozenRendererIsKilledAndRelaunchedWhileTheCallerGetsItsDeadline() throws Exception {
		assertThat(generate(body("warm the key")).statusCode()).isEqualTo(200);
		Emulator.config(Map.of("generateLatencyMs", 3000));
		double restartsBefore = restarts();
		CompletableFuture<HttpResponse<byte[]>> job = CompletableFuture.supplyAsync(() -> generate(body("frozen")));
		await().atMost(Duration.ofSeconds(5)).until(() -> !Emulator.log("/api/generate", Emulator.prompt("frozen")).isEmpty());
		List<ProcessHandle> renderers = renderers(profileOf(0));
		assertThat(renderers).as("renderer processes").isNotEmpty();
		try {
			for (ProcessHandle renderer : renderers) {
				signal("-STOP", renderer);
			}

			assertProblem(job.get(), 504, "deadline-exceeded");
			await().atMost(Duration.ofSeconds(30)).until(() -> restarts() > restartsBefore);
		}
		finally {
			// Never leave a stopped process behind, whatever happened.
			for (ProcessHandle renderer : renderers) {
				if (renderer.isAlive()) {
					signal("-CONT", renderer);
				}
			}
		}
		await().atMost(Duration.ofSeconds(60)).until(() -> this.pool.snapshot().sessions().stream()
			.allMatch(SessionSnapshot::canServe));
		Emulator.config(Map.of("generateLatencyMs", 100));
		assertThat(generate(body("after the freeze")).statusCode()).isEqualTo(200);
	}

	@Test
	void aRendererFrozenWhileTheSessionIsIdleIsKilledAndRelaunched() throws Exception {
		assertThat(generate(body("warm the key")).statusCode()).isEqualTo(200);
		double restartsBefore = restarts();
		List<ProcessHandle> renderers = renderers(profileOf(0));
		assertThat(renderers).as("renderer processes").isNotEmpty();
		try {
			for (ProcessHandle renderer : renderers) {
				signal("-STOP", renderer);
			}

			// No job runs: only the idle ping, timed by the watchdog (its budget plus the margin), finds the freeze.
			await().atMost(Duration.ofSeconds(30)).until(() -> restarts() > restartsBefore);
		}
		finally {
			for (ProcessHandle renderer : renderers) {
				if (renderer.isAlive()) {
					signal("-CONT", renderer);
				}
			}
		}
		await().atMost(Duration.ofSeconds(60)).until(() -> this.pool.snapshot().sessions().stream()
			.allMatch(SessionSnapshot::canServe));
		assertThat(generate(body("after the idle freeze")).statusCode()).isEqualTo(200);
	}

	@Test
	void aRendererFrozenDuringTheWarmUpsKeyRetrievalIsKilledAndRelaunched() throws Exception {
		assertThat(generate(body("warm the key")).statusCode()).isEqualTo(200);
		// The next verifyUser is held long past the warm-up's 6 s, so the freeze surely lands while it is outstanding.
		Emulator.fault(Map.of("endpoint", "verifyUser", "kind", "delay", "delayMs", 20000));
		Emulator.clearLog();
		// A crash makes the session warm up again: a fresh browser, and a key to obtain outside any job.
		String flag = "--user-data-dir=" + profileOf(0);
		ProcessHandle.current()
			.descendants()
			.filter((p) -> p.info().commandLine().map((c) -> List.of(c.split(" ")).contains(flag)).orElse(false))
			.forEach(ProcessHandle::destroyForcibly);
		await().atMost(Duration.ofSeconds(30)).until(() -> !Emulator.log("/api/verifyUser").isEmpty());
		double restartsBefore = restarts();
		List<ProcessHandle> renderers = renderers(profileOf(0));
		assertThat(renderers).as("renderer processes").isNotEmpty();
		try {
			for (ProcessHandle renderer : renderers) {
				signal("-STOP", renderer);
			}

			// No job runs: only the watchdog, timing the warm-up's key retrieval, can end the hanging call.
			await().atMost(Duration.ofSeconds(30)).until(() -> restarts() > restartsBefore);
		}
		finally {
			for (ProcessHandle renderer : renderers) {
				if (renderer.isAlive()) {
					signal("-CONT", renderer);
				}
			}
		}
		await().atMost(Duration.ofSeconds(60)).until(() -> this.pool.snapshot().sessions().stream()
			.allMatch(SessionSnapshot::canServe));
		assertThat(generate(body("after the warm-up freeze")).statusCode()).isEqualTo(200);
	}

	private static List<ProcessHandle> renderers(Path profile) {
		String flag = "--user-data-dir=" + profile;
		return ProcessHandle.current()
			.descendants()
			.filter((p) -> p.info().commandLine().map((c) -> List.of(c.split(" ")).contains(flag)).orElse(false))
			.flatMap(ProcessHandle::descendants)
			.filter((p) -> procCommandLine(p).contains("--type=renderer"))
			.toList();
	}

	/** Chromium rewrites its children's argv, which ProcessHandle.Info does not show: read /proc directly. */
	private static String procCommandLine(ProcessHandle process) {
		try {
			return new String(Files.readAllBytes(Path.of("/proc", Long.toString(process.pid()), "cmdline")),
					StandardCharsets.UTF_8).replace('\0', ' ');
		}
		catch (IOException ex) {
			return "";
		}
	}

	private static void signal(String signal, ProcessHandle process) throws IOException, InterruptedException {
		Process kill = new ProcessBuilder("kill", signal, Long.toString(process.pid())).inheritIO().start();
		assertThat(kill.waitFor()).isZero();
	}

	private double restarts() {
		return this.registry.find("imagegen.worker.browser.restarts").counters().stream().mapToDouble((c) -> c.count()).sum();
	}

}

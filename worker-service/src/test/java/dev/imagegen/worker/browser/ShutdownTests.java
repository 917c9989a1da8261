package dev.imagegen.worker.browser;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;

import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.TestPropertySource;

import dev.imagegen.worker.support.Emulator;
import dev.imagegen.worker.support.WorkerTestBase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Draining: new jobs are refused with {@code shutting-down}, the running one finishes, the browsers close.
 */
@TestPropertySource(properties = "imagegen.test.context=shutdown")
@DirtiesContext
class ShutdownTests extends WorkerTestBase {

	@Test
	void drainingRefusesNewJobsFinishesTheRunningOneAndClosesTheBrowser() {
		generate(body("warm the key"));
		Emulator.config(Map.of("generateLatencyMs", 1500));
		Path profile = profileOf(0);
		CompletableFuture<HttpResponse<byte[]>> running = CompletableFuture.supplyAsync(() -> generate(body("finish me")));
		await().atMost(Duration.ofSeconds(5))
			.until(() -> this.pool.snapshot().sessions().get(0).state().equals("busy"));

		CompletableFuture<Void> stopping = CompletableFuture.runAsync(this.pool::stop);
		await().atMost(Duration.ofSeconds(5)).until(() -> this.pool.snapshot().status().equals("DOWN"));

		assertProblem(generate(body("too late")), 503, "shutting-down");
		assertThat(send("GET", "/health", null).statusCode()).isEqualTo(503);
		assertThat(running.join().statusCode()).isEqualTo(200);
		stopping.join();
		await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.current()
			.descendants()
			.noneMatch((p) -> p.isAlive() && p.info().commandLine().map((c) -> c.contains(profile.toString())).orElse(false)));
		assertThat(this.pool.snapshot().sessions().get(0).state()).isEqualTo("stopped");
	}

}

package dev.imagegen.worker.job;

import java.net.http.HttpResponse;
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
 * A queue of one place and a 3 s deadline: a full queue refuses at once, a job whose deadline passes in the
 * queue never reaches Perchance.
 */
@TestPropertySource(properties = { "imagegen.test.context=small-queue", "imagegen.worker.jobs.queue-capacity=1",
		"imagegen.test.generation-timeout=3s" })
@DirtiesContext
class SmallQueueTests extends WorkerTestBase {

	@Test
	void fullQueueIsRefusedAtOnceAndQueuedJobsExpireWithoutTouchingPerchance() {
		generate(body("warm the key"));
		Emulator.config(Map.of("generateLatencyMs", 5000));

		CompletableFuture<HttpResponse<byte[]>> running = CompletableFuture.supplyAsync(() -> generate(body("running")));
		await().atMost(Duration.ofSeconds(5))
			.until(() -> !Emulator.log("/api/generate", Emulator.prompt("running")).isEmpty());
		CompletableFuture<HttpResponse<byte[]>> queued = CompletableFuture.supplyAsync(() -> generate(body("queued")));
		await().atMost(Duration.ofSeconds(2)).until(() -> this.pool.snapshot().depth() == 1);

		HttpResponse<byte[]> refused = generate(body("no room"));
		assertProblem(refused, 503, "queue-full");
		assertThat(refused.headers().firstValue("Retry-After")).hasValueSatisfying(
				(v) -> assertThat(Long.parseLong(v)).isPositive());

		assertProblem(running.join(), 504, "deadline-exceeded");
		assertProblem(queued.join(), 504, "deadline-exceeded");
		assertThat(Emulator.log("/api/generate", Emulator.prompt("queued"))).isEmpty();
		assertThat(Emulator.log("/api/generate", Emulator.prompt("no room"))).isEmpty();
		assertThat(this.pool.snapshot().depth()).isZero();

		Emulator.config(Map.of("generateLatencyMs", 100));
		await().atMost(Duration.ofSeconds(15)).until(() -> this.pool.snapshot().sessions().get(0).state().equals("ready"));
		assertThat(generate(body("after the jam")).statusCode()).isEqualTo(200);
	}

}

package dev.imagegen.worker.job;

import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;


import dev.imagegen.worker.support.Emulator;
import dev.imagegen.worker.support.WorkerTestBase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * One session, several callers: jobs are serialised per key, and a job whose caller has gone is dropped.
 */
class QueueTests extends WorkerTestBase {

	@Test
	void simultaneousRequestsAllSucceedWithOneGenerationInFlightPerKey() {
		Emulator.config(Map.of("generateLatencyMs", 300));
		List<CompletableFuture<HttpResponse<byte[]>>> responses = new ArrayList<>();
		for (int i = 0; i < 5; i++) {
			String prompt = "parallel " + i;
			responses.add(CompletableFuture.supplyAsync(() -> generate(body(prompt))));
		}

		for (CompletableFuture<HttpResponse<byte[]>> response : responses) {
			assertThat(response.join().statusCode()).isEqualTo(200);
		}
		List<JsonNode> posts = Emulator.log("/api/generate");
		assertThat(posts).hasSizeGreaterThanOrEqualTo(5);
		assertThat(posts).allSatisfy((p) -> assertThat(p.path("inFlightForSameKey").asBoolean()).isFalse());
		assertThat(posts).noneSatisfy(
				(p) -> assertThat(p.path("outcome").asString()).isEqualTo("waiting_for_prev_request_to_finish"));
	}

	@Test
	void aQueuedJobWhoseCallerWentAwayIsDroppedWithoutTouchingPerchance() throws Exception {
		generate(body("warm the key"));
		Emulator.config(Map.of("generateLatencyMs", 4500));
		double droppedBefore = dropped("caller-gone");
		CompletableFuture<HttpResponse<byte[]>> running = CompletableFuture.supplyAsync(() -> generate(body("keeps the session busy")));
		await().atMost(Duration.ofSeconds(10))
			.until(() -> !Emulator.log("/api/generate", Emulator.prompt("keeps the session busy")).isEmpty()
					|| this.pool.snapshot().sessions().get(0).state().equals("busy"));

		String json = "{\"prompt\":\"nobody waits for me\"}";
		try (Socket socket = new Socket("127.0.0.1", this.port)) {
			OutputStream out = socket.getOutputStream();
			out.write(("POST /generate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
					+ json.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + json).getBytes(StandardCharsets.UTF_8));
			out.flush();
			await().atMost(Duration.ofSeconds(5)).until(() -> this.pool.snapshot().depth() == 1);
		}

		await().atMost(Duration.ofSeconds(10)).until(() -> dropped("caller-gone") > droppedBefore);
		// Removed from the queue while the session is still busy, not only when a session would start it.
		assertThat(this.pool.snapshot().depth()).isZero();
		assertThat(running).isNotDone();
		assertThat(running.join().statusCode()).isEqualTo(200);
		assertThat(this.pool.snapshot().depth()).isZero();
		assertThat(Emulator.log("/api/generate", Emulator.prompt("nobody waits for me"))).isEmpty();
	}

	@Test
	void aRunningJobWhoseCallerWentAwayStopsAtTheNextStep() throws Exception {
		generate(body("warm the key"));
		Emulator.config(Map.of("generateLatencyMs", 1500));
		double droppedBefore = dropped("caller-gone");
		int downloadsBefore = Emulator.log("/api/downloadTemporaryImageViaProxy").size();

		String json = "{\"prompt\":\"gone while running\"}";
		try (Socket socket = new Socket("127.0.0.1", this.port)) {
			OutputStream out = socket.getOutputStream();
			out.write(("POST /generate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
					+ json.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + json).getBytes(StandardCharsets.UTF_8));
			out.flush();
			await().atMost(Duration.ofSeconds(10))
				.until(() -> !Emulator.log("/api/generate", Emulator.prompt("gone while running")).isEmpty());
		}

		await().atMost(Duration.ofSeconds(15)).until(() -> dropped("caller-gone") > droppedBefore);
		// The generate step ran to its end; the download step after it never started.
		assertThat(Emulator.log("/api/downloadTemporaryImageViaProxy")).hasSize(downloadsBefore);
		assertThat(generate(body("the session is free again")).statusCode()).isEqualTo(200);
	}

}

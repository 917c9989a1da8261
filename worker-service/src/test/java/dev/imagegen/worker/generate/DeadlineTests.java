package dev.imagegen.worker.generate;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import org.springframework.test.context.TestPropertySource;

import dev.imagegen.worker.support.Emulator;
import dev.imagegen.worker.support.WorkerTestBase;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The caller's deadline ({@code X-Deadline-Ms}) is the job's when it is shorter than {@code GENERATION_TIMEOUT}
 * (30 s in the tests): the worker gives up at it, not at its own limit.
 */
@TestPropertySource(properties = "imagegen.test.context=deadline")
class DeadlineTests extends WorkerTestBase {

	@Test
	void aShortCallerDeadlineIsHonoured() throws Exception {
		generate(body("warm the key"));
		Emulator.config(Map.of("generateLatencyMs", 5000));
		HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + "/generate"))
			.header("Content-Type", "application/json")
			.header("X-Deadline-Ms", "1500")
			// Far below GENERATION_TIMEOUT (30 s): a worker that ignored the header would make this call time out.
			.timeout(Duration.ofSeconds(12))
			.POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"short deadline\"}"))
			.build();

		long sent = System.nanoTime();
		HttpResponse<byte[]> response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofByteArray());
		Duration took = Duration.ofNanos(System.nanoTime() - sent);

		JsonNode problem = assertProblem(response, 504, "deadline-exceeded");
		// A deadline check, not a speed benchmark: the 504 comes at the caller's 1.5 s, far from the 30 s the worker
		// would wait on its own (the bound is generous for a loaded build machine).
		assertThat(took).isLessThan(Duration.ofSeconds(10));
		assertThat(problem.path("detail").asString()).isNotBlank();
		// The generate step was cut to the deadline: no retry after it.
		assertThat(Emulator.log("/api/generate", Emulator.prompt("short deadline"))).hasSize(1);
	}

}

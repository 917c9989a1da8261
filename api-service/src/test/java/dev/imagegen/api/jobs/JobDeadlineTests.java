package dev.imagegen.api.jobs;

import java.time.Duration;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import dev.imagegen.api.FakeWorker;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A job whose worker never answers ends by {@code WORKER_TIMEOUT}, as {@code /generate} does: it fails with
 * {@code 504 worker-timeout} and its event stream ends; nothing stays running for ever.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
		properties = { "WORKER_TOKEN=test-token", "WORKER_TIMEOUT=2s", "imagegen.jobs.keep-alive=1h" })
@AutoConfigureWebTestClient(timeout = "20s")
class JobDeadlineTests {

	static final FakeWorker WORKER = FakeWorker.start();

	private static final ParameterizedTypeReference<ServerSentEvent<String>> EVENTS = new ParameterizedTypeReference<>() {
	};

	private final JsonMapper json = JsonMapper.builder().build();

	@Autowired
	WebTestClient client;

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		registry.add("PERCHANCE_WORKER_URL", WORKER::baseUrl);
	}

	@AfterAll
	static void stopWorker() {
		WORKER.stop();
	}

	@Test
	void aJobWhoseWorkerNeverAnswersFailsByWorkerTimeout() {
		JsonNode job = this.json.readTree(this.client.post()
			.uri("/jobs")
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue("{\"prompt\":\"a slow fox\"}")
			.exchange()
			.expectStatus()
			.isAccepted()
			.expectBody()
			.returnResult()
			.getResponseBody());
		String id = job.get("id").stringValue();
		FakeWorker.Call call = WORKER.nextCall();
		call.progress("generating", null, null);
		StepVerifier.create(this.client.get()
			.uri("/jobs/{id}/events", id)
			.accept(MediaType.TEXT_EVENT_STREAM)
			.exchange()
			.returnResult(EVENTS)
			.getResponseBody()
			.filter((event) -> "job".equals(event.event()))
			.map((event) -> this.json.readTree(event.data()).get("status").stringValue())
			.filter((status) -> !status.equals("queued") && !status.equals("running")))
			.expectNext("failed")
			.expectComplete()
			.verify(Duration.ofSeconds(10));
		JsonNode failed = this.json.readTree(this.client.get()
			.uri("/jobs/{id}", id)
			.exchange()
			.expectStatus()
			.isOk()
			.expectBody()
			.returnResult()
			.getResponseBody());
		assertThat(failed.get("error").get("type").stringValue()).isEqualTo("https://imagegen.dev/problems/worker-timeout");
		assertThat(failed.get("error").get("status").intValue()).isEqualTo(504);
	}

}

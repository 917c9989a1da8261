package dev.imagegen.api.observability;

import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.imagegen.api.PrivateWorker;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Traces through the running API with a WireMock worker: the worker call carries the caller's trace in
 * {@code traceparent} (a shared generation's and a job's too), and problem bodies name the trace. (JSON log
 * lines are tested in system-tests, {@code MonitoringEndToEndTests}: Logback is configured once per JVM, so
 * one test class switching it would switch every later one.)
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
		properties = { "WORKER_TIMEOUT=5s" })
@AutoConfigureWebTestClient(timeout = "20s")
class TracingTests {

	static final WireMockServer WORKER = PrivateWorker.start();

	/** A caller's W3C trace context: version 00, trace id, parent span id, sampled. */
	static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";

	static final String TRACEPARENT = "00-" + TRACE_ID + "-00f067aa0ba902b7-01";

	private static final Pattern WORKER_TRACEPARENT = Pattern.compile("00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]");

	@Autowired
	WebTestClient client;

	@AfterAll
	static void stopWorker() {
		WORKER.stop();
	}

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		registry.add("PERCHANCE_WORKER_URL", WORKER::baseUrl);
	}

	@BeforeEach
	void workerAnswersWithAnImage() {
		WORKER.resetRequests();
		PrivateWorker.answerWithImage(WORKER, 0);
	}

	@Test
	void theWorkerCallContinuesTheCallersTrace() {
		this.client.get()
			.uri((uri) -> uri.path("/generate").queryParam("prompt", "a traced lighthouse").queryParam("seed", "7").build())
			.header("traceparent", TRACEPARENT)
			.exchange()
			.expectStatus()
			.isOk();
		Matcher parent = workerTraceparent();
		assertThat(parent.group(1)).isEqualTo(TRACE_ID);
		assertThat(parent.group(2)).isNotEqualTo("00f067aa0ba902b7");
	}

	@Test
	void aRandomSeedsWorkerCallContinuesTheCallersTraceToo() {
		// No fixed seed: no single flight, the call runs in the request's own chain.
		this.client.get()
			.uri((uri) -> uri.path("/generate").queryParam("prompt", "a lighthouse, any seed").build())
			.header("traceparent", TRACEPARENT)
			.exchange()
			.expectStatus()
			.isOk();
		assertThat(workerTraceparent().group(1)).isEqualTo(TRACE_ID);
	}

	@Test
	void aJobsWorkerCallContinuesTheTraceOfItsPost() {
		// The job's generation runs after the POST was answered (202), subscribed by the job service.
		this.client.post()
			.uri("/jobs")
			.contentType(MediaType.APPLICATION_JSON)
			.header("traceparent", TRACEPARENT)
			.bodyValue("{\"prompt\":\"a lighthouse, later\"}")
			.exchange()
			.expectStatus()
			.isAccepted();
		await().atMost(Duration.ofSeconds(10))
			.until(() -> !WORKER.findAll(postRequestedFor(urlEqualTo("/generate"))).isEmpty());
		assertThat(workerTraceparent().group(1)).isEqualTo(TRACE_ID);
	}

	/** The {@code traceparent} of the one generation call the worker received, matched: trace id, span id. */
	private static Matcher workerTraceparent() {
		List<LoggedRequest> calls = WORKER.findAll(postRequestedFor(urlEqualTo("/generate")));
		assertThat(calls).hasSize(1);
		Matcher parent = WORKER_TRACEPARENT.matcher(calls.get(0).getHeader("traceparent"));
		assertThat(parent.matches()).as(calls.get(0).getHeader("traceparent")).isTrue();
		return parent;
	}

	@Test
	void aRequestWithoutTraceStartsOneAndPassesItOn() {
		this.client.get()
			.uri((uri) -> uri.path("/generate").queryParam("prompt", "an untraced lighthouse").queryParam("seed", "8").build())
			.exchange()
			.expectStatus()
			.isOk();
		String header = WORKER.findAll(postRequestedFor(urlEqualTo("/generate"))).get(0).getHeader("traceparent");
		assertThat(header).matches(WORKER_TRACEPARENT);
		assertThat(header).doesNotContain("00000000000000000000000000000000");
	}

	@Test
	void problemBodiesNameTheTrace() {
		this.client.get()
			.uri("/generate?prompt=")
			.header("traceparent", TRACEPARENT)
			.exchange()
			.expectStatus()
			.isBadRequest()
			.expectBody()
			.jsonPath("$.traceId")
			.isEqualTo(TRACE_ID)
			.jsonPath("$.requestId")
			.exists();
	}

}

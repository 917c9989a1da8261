package dev.imagegen.api;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.http.Fault;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import reactor.core.Disposable;

import dev.imagegen.api.worker.WorkerPool;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.web.reactive.function.client.WebClient;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Every worker outcome and how the API maps it for its caller: worker problems passed on with their
 * status, type, detail and {@code Retry-After}; credentials, malformed answers, timeouts and
 * disconnects turned into the API's own problems.
 */
class WorkerOutcomeMappingTests extends SharedContextTests {

	@Autowired
	WorkerPool pool;

	@Autowired
	MeterRegistry meters;

	private static void workerAnswers(ResponseDefinitionBuilder response) {
		worker().stubFor(post(urlEqualTo("/generate")).willReturn(response));
	}

	private static ResponseDefinitionBuilder problem(int status, String name, String detail) {
		return aResponse().withStatus(status)
			.withHeader("Content-Type", "application/problem+json")
			.withBody("{\"type\":\"" + PROBLEMS + name + "\",\"title\":\"T " + name + "\",\"status\":" + status
					+ ",\"detail\":\"" + detail + "\"}");
	}

	@ParameterizedTest(name = "worker {0} {1} is passed on")
	@CsvSource({ "422, upstream-rejected", "502, upstream-failure",
			"502, upstream-protocol-changed", "504, deadline-exceeded" })
	void workerProblemsArePassedOnWithStatusTypeAndDetail(int status, String name) {
		workerAnswers(problem(status, name, "worker says " + name));
		this.client.get()
			.uri("/generate?prompt=fox")
			.exchange()
			.expectStatus()
			.isEqualTo(status)
			.expectHeader()
			.contentType("application/problem+json")
			.expectHeader()
			.exists("X-Request-Id")
			.expectBody()
			.jsonPath("$.type")
			.isEqualTo(PROBLEMS + name)
			.jsonPath("$.status")
			.isEqualTo(status)
			.jsonPath("$.detail")
			.isEqualTo("worker says " + name)
			.jsonPath("$.instance")
			.isEqualTo("/generate")
			.jsonPath("$.requestId")
			.isNotEmpty();
	}

	@Test
	void workerInvalidRequestMeansTheApiLetBadInputThroughAndIsA502() {
		workerAnswers(problem(400, "invalid-request", "prompt too long"));
		this.client.get()
			.uri("/generate?prompt=fox")
			.exchange()
			.expectStatus()
			.isEqualTo(502)
			.expectBody()
			.jsonPath("$.type")
			.isEqualTo(PROBLEMS + "bad-worker-response")
			.jsonPath("$.detail")
			.value(String.class, (detail) -> assertThat(detail).doesNotContain("prompt too long"));
	}

	@ParameterizedTest(name = "worker 503 {0} keeps Retry-After {1}")
	@CsvSource({ "queue-full, 7", "upstream-rate-limited, 120", "upstream-challenge, 30", "browser-unavailable, 15" })
	void worker503KeepsItsRetryAfter(String name, String retryAfter) {
		workerAnswers(problem(503, name, "busy").withHeader("Retry-After", retryAfter));
		RetryableProblems.expectGenerate503(this.client, retryAfter, PROBLEMS + name);
	}

	@Test
	void worker503WithoutRetryAfterStillTellsTheClientWhenToRetry() {
		workerAnswers(problem(503, "shutting-down", "draining"));
		RetryableProblems.expectGenerate503(this.client, "5", PROBLEMS + "shutting-down");
	}

	@Test
	void worker401MeansTheApiTokenIsWrongAndIsA502() {
		workerAnswers(problem(401, "unauthorized", "bad token"));
		this.client.get()
			.uri("/generate?prompt=fox")
			.exchange()
			.expectStatus()
			.isEqualTo(502)
			.expectBody()
			.jsonPath("$.type")
			.isEqualTo(PROBLEMS + "worker-auth-failed")
			.jsonPath("$.detail")
			.value(String.class, (detail) -> assertThat(detail).contains("WORKER_TOKEN").doesNotContain("test-token"));
	}

	@ParameterizedTest(name = "{0}")
	@CsvSource(delimiter = '|', value = { "500 without problem body | 500 | text/plain | oops",
			"502 from a proxy, HTML | 502 | text/html | <html>bad gateway</html>",
			"503 without body | 503 | text/plain | ''", "problem+json that is not JSON | 503 | application/problem+json | {nope",
			"problem without type | 422 | application/problem+json | {\"title\":\"x\"}",
			"500 with a problem body | 500 | application/problem+json | {\"type\":\"x\",\"detail\":\"d\"}",
			"404 from a wrong base URL | 404 | application/json | {\"type\":\"about:blank\"}" })
	void malformedOrUnexpectedWorkerAnswersAreBadWorkerResponses(String name, int status, String contentType,
			String body) {
		workerAnswers(aResponse().withStatus(status).withHeader("Content-Type", contentType).withBody(body));
		expectBadWorkerResponse();
	}

	@Test
	void emptyImageIsABadWorkerResponse() {
		workerAnswers(aResponse().withStatus(200).withHeader("Content-Type", "image/png"));
		expectBadWorkerResponse();
	}

	@Test
	void nonImage200IsABadWorkerResponse() {
		workerAnswers(aResponse().withStatus(200).withHeader("Content-Type", "image/png").withBody("<html>hi</html>"));
		expectBadWorkerResponse();
	}

	@Test
	void imageThatIsNotTheDeclaredTypeIsABadWorkerResponse() {
		workerAnswers(aResponse().withStatus(200).withHeader("Content-Type", "image/png").withBody(ImageFixtures.jpeg()));
		expectBadWorkerResponse();
	}

	@Test
	void imageInAnotherFormatThanRequestedIsABadWorkerResponse() {
		workerAnswers(aResponse().withStatus(200).withHeader("Content-Type", "image/jpeg").withBody(ImageFixtures.jpeg()));
		expectBadWorkerResponse();
	}

	@Test
	void droppedConnectionIsABadWorkerResponse() {
		workerAnswers(aResponse().withFault(Fault.EMPTY_RESPONSE));
		expectBadWorkerResponse();
		workerAnswers(aResponse().withFault(Fault.RANDOM_DATA_THEN_CLOSE));
		expectBadWorkerResponse();
	}

	private void expectBadWorkerResponse() {
		this.client.get()
			.uri("/generate?prompt=fox")
			.exchange()
			.expectStatus()
			.isEqualTo(502)
			.expectHeader()
			.contentType("application/problem+json")
			.expectBody()
			.jsonPath("$.type")
			.isEqualTo(PROBLEMS + "bad-worker-response")
			.jsonPath("$.detail")
			.isNotEmpty();
	}

	@Test
	void slowWorkerIsA504AfterWorkerTimeout() {
		workerAnswers(aResponse().withStatus(200)
			.withHeader("Content-Type", "image/png")
			.withBody(ImageFixtures.png())
			.withFixedDelay(6_000));
		long start = System.nanoTime();
		this.client.get()
			.uri("/generate?prompt=fox")
			.header("X-Request-Id", DELAYED + "timeout")
			.exchange()
			.expectStatus()
			.isEqualTo(504)
			.expectBody()
			.jsonPath("$.type")
			.isEqualTo(PROBLEMS + "worker-timeout");
		assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(6));
		await().atMost(Duration.ofSeconds(5)).until(() -> this.pool.endpoints().get(0).inFlight() == 0);
	}

	@Test
	void clientDisconnectCancelsTheWorkerCall() {
		workerAnswers(aResponse().withStatus(200)
			.withHeader("Content-Type", "image/png")
			.withBody(ImageFixtures.png())
			.withFixedDelay(20_000));
		double cancelledBefore = cancelledCalls();
		double timeoutsBefore = timedOutCalls();
		AtomicReference<Object> outcome = new AtomicReference<>();
		Disposable call = WebClient.create("http://127.0.0.1:" + this.port)
			.get()
			.uri("/generate?prompt=fox")
			.header("X-Request-Id", DELAYED + "cancel")
			.retrieve()
			.bodyToMono(byte[].class)
			.subscribe(outcome::set, outcome::set);
		await().atMost(Duration.ofSeconds(5)).until(() -> this.pool.endpoints().get(0).inFlight() == 1);
		call.dispose();
		// Cancellation, not the 3 s WORKER_TIMEOUT, must be what ends the worker call.
		await().atMost(Duration.ofSeconds(5)).until(() -> cancelledCalls() == cancelledBefore + 1);
		await().atMost(Duration.ofSeconds(5)).until(() -> this.pool.endpoints().get(0).inFlight() == 0);
		assertThat(outcome.get()).isNull();
		assertThat(timedOutCalls()).isEqualTo(timeoutsBefore);
	}

	private double timedOutCalls() {
		Timer timer = this.meters.find("imagegen.worker.requests").tag("outcome", "worker-timeout").timer();
		return (timer != null) ? timer.count() : 0;
	}

	private double cancelledCalls() {
		Timer timer = this.meters.find("imagegen.worker.requests").tag("outcome", "cancelled").timer();
		return (timer != null) ? timer.count() : 0;
	}

}

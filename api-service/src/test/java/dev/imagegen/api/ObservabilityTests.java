package dev.imagegen.api;

import ch.qos.logback.classic.LoggerContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.slf4j.LoggerFactory;

import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Health, actuator probes, metrics and the access log of the running API.
 */
@ExtendWith(OutputCaptureExtension.class)
class ObservabilityTests extends SharedContextTests {

	private static void workerHealthy() {
		worker().stubFor(get(urlEqualTo("/health")).willReturn(aResponse().withStatus(200)
			.withHeader("Content-Type", "application/json")
			.withBody("{\"status\":\"UP\",\"sessions\":[],\"queue\":{\"depth\":0,\"capacity\":8}}")));
	}

	@Test
	void healthReportsTheWorkerWithoutGenerating() {
		workerHealthy();
		this.client.get()
			.uri("/health")
			.exchange()
			.expectStatus()
			.isOk()
			.expectBody()
			.jsonPath("$.status")
			.isEqualTo("UP")
			.jsonPath("$.workers[0].url")
			.isEqualTo(worker().baseUrl())
			.jsonPath("$.workers[0].status")
			.isEqualTo("UP")
			.jsonPath("$.workers[0].latencyMs")
			.isNumber()
			.jsonPath("$.workers[0]")
			.value(java.util.Map.class, (entry) -> assertThat(entry).containsOnlyKeys("url", "status", "latencyMs", "detail"));
		assertThat(generateCalls()).isEmpty();
		assertThat(worker().findAll(getRequestedFor(urlEqualTo("/health")))).isNotEmpty();
	}

	@Test
	void workerDownMakesHealthAndReadinessDownButNotLiveness() {
		worker().stubFor(get(urlEqualTo("/health")).willReturn(
				aResponse().withStatus(503).withHeader("Content-Type", "application/json").withBody("{\"status\":\"DOWN\"}")));
		this.client.get().uri("/health").exchange().expectStatus().isEqualTo(503).expectBody().jsonPath("$.status")
			.isEqualTo("DOWN");
		this.client.get().uri("/actuator/health/readiness").exchange().expectStatus().isEqualTo(503);
		this.client.get().uri("/readyz").exchange().expectStatus().isEqualTo(503);
		this.client.get().uri("/actuator/health/liveness").exchange().expectStatus().isOk();
		this.client.get().uri("/livez").exchange().expectStatus().isOk();
		workerHealthy();
		this.client.get().uri("/actuator/health/readiness").exchange().expectStatus().isOk();
		this.client.get().uri("/actuator/health").exchange().expectStatus().isOk().expectBody()
			.jsonPath("$.components.workers.status").isEqualTo("UP");
	}

	@Test
	void metricsAreExportedWithoutPromptText(CapturedOutput output) {
		worker().stubFor(post(urlEqualTo("/generate")).willReturn(
				aResponse().withStatus(200).withHeader("Content-Type", "image/png").withBody(ImageFixtures.png())));
		this.client.get().uri("/generate?prompt=secret+purple+walrus&seed=3").exchange().expectStatus().isOk();
		this.client.get().uri("/generate?prompt=secret+purple+walrus&seed=oops").exchange().expectStatus().isBadRequest();
		String metrics = this.client.get()
			.uri("/actuator/prometheus")
			.header("Authorization", "Bearer " + METRICS_TOKEN)
			.exchange()
			.expectStatus()
			.isOk()
			.expectBody(String.class)
			.returnResult()
			.getResponseBody();
		assertThat(metrics).contains("imagegen_api_requests_seconds_count{method=\"GET\",outcome=\"SUCCESS\",problem=\"none\",status=\"200\"}")
			.contains("imagegen_api_requests_seconds_count{method=\"GET\",outcome=\"CLIENT_ERROR\",problem=\"validation-error\",status=\"400\"}")
			.contains("imagegen_worker_inflight{worker=\"" + worker().baseUrl() + "\"}")
			.contains("imagegen_worker_requests_seconds_count")
			// Boot's WebClient.Builder observes the worker call too (and would propagate a trace).
			.containsPattern("http_client_requests_seconds_count\\{[^}]*method=\"POST\"[^}]*status=\"200\"")
			// The route's own mapping names it, as an annotated mapping would.
			.containsPattern("http_server_requests_seconds_count\\{[^}]*method=\"GET\"[^}]*uri=\"/generate\"")
			.doesNotContain("walrus");
		this.client.get().uri("/actuator/info").exchange().expectStatus().isOk();
		await().untilAsserted(() -> assertThat(output.getOut()).contains("path=/generate status=200"));
		assertThat(output.getOut()).contains("promptLength=20")
			.contains("worker=" + worker().baseUrl())
			.contains("problem=validation-error")
			.doesNotContain("walrus")
			.doesNotContain("prompt=");
	}

	@Test
	void logbackHasNoTurboFilterForEveryLevelCheckToCall() {
		// Logback's metrics binder would add one (application.yml says why it is off).
		LoggerContext logback = (LoggerContext) LoggerFactory.getILoggerFactory();
		assertThat(logback.getTurboFilterList()).isEmpty();
	}

}

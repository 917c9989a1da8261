package dev.imagegen.api.clients;

import com.github.tomakehurst.wiremock.WireMockServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.imagegen.api.PrivateWorker;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;


/**
 * With no trusted proxy a client cannot pick its own identity: {@code X-Forwarded-For} is ignored and the TCP
 * peer is the client. Without a keys file any bearer token is accepted and ignored (OpenAI SDKs always send one).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
		properties = { "WORKER_TOKEN=test-token", "WORKER_TIMEOUT=5s", "imagegen.clients.anon-generations-per-minute=2" })
@AutoConfigureWebTestClient(timeout = "20s")
@Import(ClientLimitsTests.FrozenClock.class)
class ClientLimitsWithoutProxyTests {

	static final WireMockServer WORKER = PrivateWorker.start();

	@AfterAll
	static void stopWorker() {
		WORKER.stop();
	}

	@Autowired
	WebTestClient client;

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		registry.add("PERCHANCE_WORKER_URL", () -> WORKER.baseUrl());
	}

	@BeforeEach
	void workerAnswersWithAnImage() {
		PrivateWorker.answerWithImage(WORKER, 0);
	}

	private WebTestClient.ResponseSpec generate(String prompt, String forwardedFor) {
		return this.client.get()
			.uri((uri) -> uri.path("/generate").queryParam("prompt", prompt).build())
			.header("X-Forwarded-For", forwardedFor)
			.header("Authorization", "Bearer sk-anything-an-sdk-sends")
			.exchange();
	}

	@Test
	void withoutAMetricsTokenOrAManagementPortMetricsAreAbsent() {
		this.client.get().uri("/actuator/prometheus").exchange().expectStatus().isNotFound()
			.expectHeader().contentType("application/problem+json");
	}

	@Test
	void anUntrustedPeersForwardedForDoesNotMakeANewClient() {
		generate("a", "203.0.113.1").expectStatus().isOk();
		generate("b", "203.0.113.2").expectStatus().isOk();
		generate("c", "203.0.113.3").expectStatus().isEqualTo(429).expectHeader().valueEquals("Retry-After", "30");
	}

}

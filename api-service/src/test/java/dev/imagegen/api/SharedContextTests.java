package dev.imagegen.api;

import java.util.List;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;

import dev.imagegen.api.context.RequestContext;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

import static com.github.tomakehurst.wiremock.client.WireMock.notMatching;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;

/**
 * Base of the test classes that share one running API whose single worker is the WireMock
 * {@link WorkerStub}; every class extending it reuses the same cached Spring context, which keeps the
 * suite fast. The short {@code WORKER_TIMEOUT} lets the timeout tests finish quickly.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
		properties = { "WORKER_TOKEN=test-token", "WORKER_TIMEOUT=3s", "imagegen.health.cache-ttl=0s",
				"METRICS_TOKEN=" + SharedContextTests.METRICS_TOKEN })
@AutoConfigureWebTestClient(timeout = "20s")
@ExtendWith(WorkerStub.class)
abstract class SharedContextTests {

	static final String PROBLEMS = "https://imagegen.dev/problems/";

	/** What a scraper of the shared API sends to read {@code /actuator/prometheus} on the main port. */
	static final String METRICS_TOKEN = "test-metrics-token";

	/** Request-id prefix of calls that stay in flight beyond their test (see {@link #generateCalls()}). */
	static final String DELAYED = "delayed-";

	@Autowired
	WebTestClient client;

	@LocalServerPort
	int port;

	@DynamicPropertySource
	static void workerUrl(DynamicPropertyRegistry registry) {
		registry.add("PERCHANCE_WORKER_URL", () -> WorkerStub.server().baseUrl());
	}

	@BeforeEach
	void resetWorker() {
		worker().resetAll();
	}

	static WireMockServer worker() {
		return WorkerStub.server();
	}

	/**
	 * The generation calls the worker received, except those of tests that deliberately leave a slow
	 * call behind: WireMock journals a delayed request only when its delay is over, which may be during
	 * a later test.
	 */
	static List<LoggedRequest> generateCalls() {
		return worker().findAll(postRequestedFor(urlEqualTo("/generate")).withHeader(RequestContext.REQUEST_ID_HEADER,
				notMatching(DELAYED + ".*")));
	}

}

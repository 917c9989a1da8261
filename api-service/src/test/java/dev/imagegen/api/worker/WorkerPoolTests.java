package dev.imagegen.api.worker;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.http.Fault;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

import dev.imagegen.api.ImageFixtures;
import dev.imagegen.api.TwoWorkers;
import dev.imagegen.api.config.ApiProperties;
import dev.imagegen.api.problem.ApiProblem;
import org.springframework.http.MediaType;
import org.springframework.util.unit.DataSize;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Balancing over several workers: fewest in flight first, a refusing worker skipped for a while and the
 * refused request retried elsewhere, a request a worker may have started never retried.
 */
class WorkerPoolTests {

	private static final WorkerRequest REQUEST = new WorkerRequest("fox", "", 1, 7.0, "square", "png");

	@RegisterExtension
	static final TwoWorkers workers = new TwoWorkers();

	private static final WireMockServer first = workers.first();

	private static final WireMockServer second = workers.second();

	private final List<WorkerPool> pools = new ArrayList<>();

	private SimpleMeterRegistry meters;

	/**
	 * Request id of this test's calls: WireMock journals a delayed request only when its delay is over,
	 * possibly after the next test reset the journal, so calls are counted by id.
	 */
	private String testId;

	@BeforeEach
	void reset() {
		this.meters = new SimpleMeterRegistry();
		this.testId = java.util.UUID.randomUUID().toString();
	}

	@AfterEach
	void closePools() {
		this.pools.forEach(WorkerPool::destroy);
	}

	private WorkerPool pool(String urls, Duration timeout) {
		ApiProperties properties = new ApiProperties(
				new ApiProperties.Worker(urls, "", timeout, Duration.ofSeconds(2), Duration.ofSeconds(30), null, 0), 1000,
				DataSize.ofKilobytes(64), new ApiProperties.Health(null, null));
		WorkerPool pool = new WorkerPool(properties, JsonMapper.builder().build(), this.meters);
		this.pools.add(pool);
		return pool;
	}

	private static void answersWithImage(WireMockServer server, int delayMillis) {
		server.stubFor(post(urlEqualTo("/generate")).willReturn(aResponse().withStatus(200)
			.withHeader("Content-Type", "image/png")
			.withBody(ImageFixtures.png())
			.withFixedDelay(delayMillis)));
	}

	private Mono<WorkerImage> generate(WorkerPool pool) {
		return pool.generate(REQUEST, MediaType.IMAGE_PNG, this.testId, (worker) -> {
		});
	}

	private static int closedPort() throws IOException {
		try (ServerSocket socket = new ServerSocket(0)) {
			return socket.getLocalPort();
		}
	}

	private int calls(WireMockServer server) {
		return server
			.findAll(postRequestedFor(urlEqualTo("/generate")).withHeader("X-Request-Id", equalTo(this.testId)))
			.size();
	}

	@Test
	void concurrentRequestsGoToTheWorkerWithFewestInFlight() {
		answersWithImage(first, 500);
		answersWithImage(second, 500);
		WorkerPool pool = pool(first.baseUrl() + "," + second.baseUrl(), Duration.ofSeconds(10));
		List<WorkerImage> images = Mono.zip(List.of(generate(pool), generate(pool), generate(pool), generate(pool)),
				(results) -> {
					List<WorkerImage> list = new ArrayList<>();
					for (Object result : results) {
						list.add((WorkerImage) result);
					}
					return list;
				}).block(Duration.ofSeconds(10));
		assertThat(images).hasSize(4);
		assertThat(calls(first)).isEqualTo(2);
		assertThat(calls(second)).isEqualTo(2);
		// The count is released in doFinally, just after the caller has its image.
		await().atMost(Duration.ofSeconds(5))
			.untilAsserted(() -> assertThat(pool.endpoints()).allSatisfy((endpoint) -> assertThat(endpoint.inFlight()).isZero()));
	}

	@Test
	void aBusyWorkerIsAvoided() {
		answersWithImage(first, 3_000);
		answersWithImage(second, 3_000);
		WorkerPool pool = pool(first.baseUrl() + "," + second.baseUrl(), Duration.ofSeconds(10));
		var slow = generate(pool).subscribe();
		await().atMost(Duration.ofSeconds(5)).until(() -> pool.endpoints().stream().mapToInt(WorkerEndpoint::inFlight).sum() == 1);
		WorkerEndpoint busy = pool.endpoints().stream().filter((endpoint) -> endpoint.inFlight() == 1).findFirst().orElseThrow();
		for (int i = 0; i < 4; i++) {
			assertThat(pool.choose(java.util.Set.of())).isNotSameAs(busy);
		}
		slow.dispose();
	}

	@Test
	void anImageIsReadIntoOneDirectBufferOfItsSizeThatTheImageOwns() {
		answersWithImage(first, 0);
		WorkerImage image = generate(pool(first.baseUrl(), Duration.ofSeconds(10))).block(Duration.ofSeconds(10));
		// Straight into the buffer the cache keeps and answers write: no heap array of the image's size.
		assertThat(image.content().isDirect()).isTrue();
		assertThat(image.content().capacity()).isEqualTo(ImageFixtures.png().length);
		assertThat(image.bytes()).isEqualTo(ImageFixtures.png());
		assertThat(image.content().refCnt()).isEqualTo(1);
		image.content().release();
	}

	@Test
	void refusedConnectionIsRetriedOnAnotherWorkerAndTheRefusingOneIsSkipped() throws IOException {
		answersWithImage(second, 0);
		String refusing = "http://127.0.0.1:" + closedPort();
		WorkerPool pool = pool(refusing + "," + second.baseUrl(), Duration.ofSeconds(10));
		for (int i = 0; i < 6; i++) {
			List<String> triedWorkers = new ArrayList<>();
			WorkerImage image = pool.generate(REQUEST, MediaType.IMAGE_PNG, this.testId, triedWorkers::add)
				.block(Duration.ofSeconds(10));
			assertThat(image.worker()).isEqualTo(second.baseUrl());
		}
		assertThat(calls(second)).isEqualTo(6);
		Timer refused = this.meters.find("imagegen.worker.requests").tag("worker", refusing).tag("outcome", "refused").timer();
		assertThat(refused).isNotNull();
		assertThat(refused.count()).isEqualTo(1);
	}

	@Test
	void noReachableWorkerIsAQuick503WithRetryAfter() throws IOException {
		WorkerPool pool = pool("http://127.0.0.1:" + closedPort() + ",http://127.0.0.1:" + closedPort(),
				Duration.ofSeconds(60));
		assertThatThrownBy(() -> generate(pool).block(Duration.ofSeconds(10))).isInstanceOfSatisfying(ApiProblem.class,
				(problem) -> {
					assertThat(problem.status()).isEqualTo(503);
					assertThat(problem.type()).endsWith("/worker-unavailable");
					assertThat(problem.retryAfter()).isEqualTo(Duration.ofSeconds(5));
				});
	}

	@Test
	void aRequestAWorkerMayHaveStartedIsNeverRetried() {
		first.stubFor(post(urlEqualTo("/generate")).willReturn(aResponse().withFault(Fault.EMPTY_RESPONSE)));
		second.stubFor(post(urlEqualTo("/generate")).willReturn(aResponse().withFault(Fault.EMPTY_RESPONSE)));
		WorkerPool pool = pool(first.baseUrl() + "," + second.baseUrl(), Duration.ofSeconds(10));
		assertThatThrownBy(() -> generate(pool).block(Duration.ofSeconds(10)))
			.isInstanceOfSatisfying(ApiProblem.class, (problem) -> assertThat(problem.status()).isEqualTo(502));
		assertThat(calls(first) + calls(second)).isEqualTo(1);
	}

	@Test
	void aTimedOutRequestIsNeverRetried() {
		answersWithImage(first, 3_000);
		answersWithImage(second, 3_000);
		WorkerPool pool = pool(first.baseUrl() + "," + second.baseUrl(), Duration.ofMillis(500));
		assertThatThrownBy(() -> generate(pool).block(Duration.ofSeconds(10)))
			.isInstanceOfSatisfying(ApiProblem.class, (problem) -> assertThat(problem.status()).isEqualTo(504));
		// WireMock does not journal a delayed request whose client went away, so count attempts here.
		assertThat(this.meters.find("imagegen.worker.requests").timers())
			.singleElement()
			.satisfies((timer) -> {
				assertThat(timer.getId().getTag("outcome")).isEqualTo("worker-timeout");
				assertThat(timer.count()).isEqualTo(1);
			});
		await().atMost(Duration.ofSeconds(5))
			.untilAsserted(() -> assertThat(pool.endpoints()).allSatisfy((endpoint) -> assertThat(endpoint.inFlight()).isZero()));
	}

	@Test
	void inFlightGaugeIsExportedPerWorker() {
		WorkerPool pool = pool(first.baseUrl(), Duration.ofSeconds(5));
		assertThat(this.meters.find("imagegen.worker.inflight").tag("worker", first.baseUrl()).gauge()).isNotNull();
		assertThat(pool.configured()).isTrue();
	}

	@Test
	void aJobFollowsTheChosenWorkersProgressStreamInOrder() {
		// The image comes well after the events, as from a real worker; the stream closes with the call.
		answersWithImage(first, 2_000);
		first.stubFor(get(urlEqualTo("/progress/" + this.testId)).willReturn(aResponse().withStatus(200)
			.withHeader("Content-Type", "text/event-stream")
			.withBody(": keep-alive\n\n"
					+ "event: progress\ndata: {\"requestId\":\"r\",\"phase\":\"queued\",\"queuePosition\":1,\"upstreamQueuePosition\":null}\n\n"
					+ "event: progress\ndata: not json\n\n"
					+ "event: progress\ndata: {\"requestId\":\"r\",\"phase\":\"generating\",\"queuePosition\":null,\"upstreamQueuePosition\":3}\n\n"
					+ "event: progress\ndata: {\"requestId\":\"r\",\"phase\":\"done\",\"queuePosition\":null,\"upstreamQueuePosition\":null}\n\n")));
		WorkerPool pool = pool(first.baseUrl(), Duration.ofSeconds(10));
		List<WorkerProgress> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
		WorkerImage image = pool.generate(REQUEST, MediaType.IMAGE_PNG, this.testId, (worker) -> {
		}, seen::add).block(Duration.ofSeconds(10));
		assertThat(image).isNotNull();
		assertThat(seen).containsExactly(new WorkerProgress("queued", 1, null), new WorkerProgress("generating", null, 3),
				new WorkerProgress("done", null, null));
		assertThat(first.findAll(getRequestedFor(urlEqualTo("/progress/" + this.testId))
			.withHeader("Accept", equalTo("text/event-stream")))).hasSize(1);
	}

	@Test
	void aMissingProgressStreamNeverFailsTheGeneration() {
		answersWithImage(first, 0);
		first.stubFor(get(urlEqualTo("/progress/" + this.testId)).willReturn(aResponse().withStatus(404)
			.withHeader("Content-Type", "application/problem+json")
			.withBody("{\"type\":\"https://imagegen.dev/problems/unknown-request\",\"status\":404}")));
		WorkerPool pool = pool(first.baseUrl(), Duration.ofSeconds(10));
		List<WorkerProgress> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
		WorkerImage image = pool.generate(REQUEST, MediaType.IMAGE_PNG, this.testId, (worker) -> {
		}, seen::add).block(Duration.ofSeconds(10));
		assertThat(image).isNotNull();
		assertThat(seen).isEmpty();
	}

	@Test
	void aSynchronousCallOpensNoProgressStream() {
		answersWithImage(first, 0);
		WorkerPool pool = pool(first.baseUrl(), Duration.ofSeconds(10));
		assertThat(generate(pool).block(Duration.ofSeconds(10))).isNotNull();
		assertThat(first.findAll(getRequestedFor(urlEqualTo("/progress/" + this.testId)))).isEmpty();
	}

}

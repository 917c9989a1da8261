package dev.imagegen.api.health;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import com.github.tomakehurst.wiremock.WireMockServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import reactor.core.publisher.Flux;
import tools.jackson.databind.json.JsonMapper;

import dev.imagegen.api.TwoWorkers;
import dev.imagegen.api.config.ApiProperties;
import dev.imagegen.api.worker.WorkerPool;
import org.springframework.util.unit.DataSize;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Worker health probing: status aggregation, a short timeout, caching so that frequent polling costs
 * the worker almost nothing, concurrent checks sharing one probe, and never a generation.
 */
class WorkerHealthCheckerTests {

	@RegisterExtension
	static final TwoWorkers workers = new TwoWorkers();

	private static final WireMockServer first = workers.first();

	private static final WireMockServer second = workers.second();

	private final List<WorkerPool> pools = new ArrayList<>();

	@AfterEach
	void closePools() {
		this.pools.forEach(WorkerPool::destroy);
		// A health check must never trigger an image generation.
		assertThat(first.findAll(postRequestedFor(anyUrl()))).isEmpty();
		assertThat(second.findAll(postRequestedFor(anyUrl()))).isEmpty();
	}

	private WorkerHealthChecker checker(String urls, Duration timeout, Duration ttl) {
		ApiProperties properties = new ApiProperties(new ApiProperties.Worker(urls, "", null, null, null, null, 0), 1000,
				DataSize.ofKilobytes(64), new ApiProperties.Health(timeout, ttl));
		JsonMapper json = JsonMapper.builder().build();
		WorkerPool pool = new WorkerPool(properties, json, new SimpleMeterRegistry());
		this.pools.add(pool);
		return new WorkerHealthChecker(pool, properties, json);
	}

	private static void health(WireMockServer server, int status, String body, int delayMillis) {
		server.stubFor(get(urlEqualTo("/health")).willReturn(aResponse().withStatus(status)
			.withHeader("Content-Type", "application/json")
			.withBody(body)
			.withFixedDelay(delayMillis)));
	}

	private static int probes(WireMockServer server) {
		return server.findAll(getRequestedFor(urlEqualTo("/health"))).size();
	}

	@Test
	void allUpIsUp() {
		health(first, 200, "{\"status\":\"UP\"}", 0);
		health(second, 200, "{\"status\":\"UP\",\"sessions\":[]}", 0);
		HealthReport report = checker(first.baseUrl() + "," + second.baseUrl(), Duration.ofSeconds(2), Duration.ZERO)
			.check()
			.block();
		assertThat(report.status()).isEqualTo("UP");
		assertThat(report.workers()).extracting(WorkerHealth::url).containsExactly(first.baseUrl(), second.baseUrl());
		assertThat(report.workers()).allSatisfy((worker) -> {
			assertThat(worker.status()).isEqualTo("UP");
			assertThat(worker.latencyMs()).isNotNull().isGreaterThanOrEqualTo(0);
		});
	}

	@Test
	void someUpIsDegradedAndTheDownOneSaysWhy() {
		health(first, 200, "{\"status\":\"UP\"}", 0);
		health(second, 503, "{\"status\":\"DOWN\"}", 0);
		HealthReport report = checker(first.baseUrl() + "," + second.baseUrl(), Duration.ofSeconds(2), Duration.ZERO)
			.check()
			.block();
		assertThat(report.status()).isEqualTo("DEGRADED");
		assertThat(report.down()).isFalse();
		assertThat(report.workers().get(1).status()).isEqualTo("DOWN");
		assertThat(report.workers().get(1).detail()).contains("503");
	}

	@Test
	void noneUpIsDownAndASlowWorkerTimesOut() {
		health(first, 503, "{\"status\":\"DOWN\"}", 0);
		health(second, 200, "{\"status\":\"UP\"}", 5_000);
		long start = System.nanoTime();
		HealthReport report = checker(first.baseUrl() + "," + second.baseUrl(), Duration.ofMillis(300), Duration.ZERO)
			.check()
			.block();
		assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
		assertThat(report.status()).isEqualTo("DOWN");
		assertThat(report.down()).isTrue();
		assertThat(report.workers().get(1).detail()).contains("no answer within 300 ms");
	}

	@Test
	void aWorkerReportingDegradedKeepsTheApiDegraded() {
		health(first, 200, "{\"status\":\"DEGRADED\"}", 0);
		HealthReport report = checker(first.baseUrl(), Duration.ofSeconds(2), Duration.ZERO).check().block();
		assertThat(report.status()).isEqualTo("DEGRADED");
	}

	@Test
	void resultsAreCachedSoThatPollingCostsTheWorkerOneProbe() {
		health(first, 200, "{\"status\":\"UP\"}", 0);
		WorkerHealthChecker checker = checker(first.baseUrl(), Duration.ofSeconds(2), Duration.ofMinutes(1));
		for (int i = 0; i < 20; i++) {
			assertThat(checker.check().block().status()).isEqualTo("UP");
		}
		assertThat(probes(first)).isEqualTo(1);
	}

	@Test
	void concurrentChecksShareOneProbe() {
		health(first, 200, "{\"status\":\"UP\"}", 500);
		WorkerHealthChecker checker = checker(first.baseUrl(), Duration.ofSeconds(2), Duration.ofMinutes(1));
		List<HealthReport> reports = Flux.range(0, 10)
			.flatMap((i) -> checker.check(), 10)
			.collectList()
			.block(Duration.ofSeconds(5));
		assertThat(reports).hasSize(10).allSatisfy((report) -> assertThat(report.status()).isEqualTo("UP"));
		assertThat(probes(first)).isEqualTo(1);
	}

	@Test
	void anExpiredResultIsProbedAgain() {
		health(first, 200, "{\"status\":\"UP\"}", 0);
		WorkerHealthChecker checker = checker(first.baseUrl(), Duration.ofSeconds(2), Duration.ofMillis(200));
		checker.check().block();
		await().atMost(Duration.ofSeconds(5)).until(() -> {
			checker.check().block();
			return probes(first) >= 2;
		});
		health(first, 503, "{\"status\":\"DOWN\"}", 0);
		await().atMost(Duration.ofSeconds(5)).until(() -> checker.check().block().down());
	}

}

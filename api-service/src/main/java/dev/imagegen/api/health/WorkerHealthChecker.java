package dev.imagegen.api.health;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.stream.Collectors;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import dev.imagegen.api.config.ApiProperties;
import dev.imagegen.api.redis.RedisModeEnvironment;
import dev.imagegen.api.worker.WorkerEndpoint;
import dev.imagegen.api.worker.WorkerPool;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.client.ClientResponse;

/**
 * Probes each worker's {@code GET /health} (never a generation) with a short timeout and caches the
 * result for a few seconds, so that a monitor polling every second costs a worker almost nothing.
 * Concurrent checks arriving while a probe is running share that probe. The direct mode's health; the Redis mode
 * has {@link RedisHealthCheck} instead.
 */
@Component
@ConditionalOnBooleanProperty(name = RedisModeEnvironment.ENABLED, havingValue = false, matchIfMissing = true)
public class WorkerHealthChecker implements HealthCheck {

	private static final byte[] EMPTY = new byte[0];

	private final Map<WorkerEndpoint, Mono<WorkerHealth>> cached;

	private final WorkerPool pool;

	private final JsonMapper jsonMapper;

	private final Duration timeout;

	/**
	 * Creates the checker.
	 * @param pool the configured workers and the shared web client
	 * @param properties the probe timeout and cache time
	 * @param jsonMapper parses the worker's health body
	 */
	public WorkerHealthChecker(WorkerPool pool, ApiProperties properties, JsonMapper jsonMapper) {
		this.pool = pool;
		this.jsonMapper = jsonMapper;
		this.timeout = properties.health().timeout();
		Duration ttl = properties.health().cacheTtl();
		this.cached = pool.endpoints()
			.stream()
			.collect(Collectors.toUnmodifiableMap(Function.identity(),
					(endpoint) -> probe(endpoint).cache((health) -> ttl, (error) -> Duration.ZERO, () -> Duration.ZERO)));
	}

	/**
	 * The health of the API as seen through its workers.
	 * @return the report; DOWN with a detail when no worker is configured
	 */
	@Override
	public Mono<HealthReport> check() {
		if (!this.pool.configured()) {
			return Mono.just(new HealthReport("DOWN", List.of(),
					"No worker configured: set PERCHANCE_WORKER_URL to the worker's base URL (e.g. http://worker:8081)."));
		}
		return Flux.fromIterable(this.pool.endpoints())
			.flatMapSequential(this.cached::get)
			.collectList()
			.map(WorkerHealthChecker::aggregate);
	}

	static HealthReport aggregate(List<WorkerHealth> workers) {
		long usable = workers.stream().filter(WorkerHealth::usable).count();
		long up = workers.stream().filter((worker) -> "UP".equals(worker.status())).count();
		String status = (usable == 0) ? "DOWN" : ((up == workers.size()) ? "UP" : "DEGRADED");
		return new HealthReport(status, workers, null);
	}

	private Mono<WorkerHealth> probe(WorkerEndpoint endpoint) {
		return Mono.defer(() -> {
			long start = System.nanoTime();
			return this.pool.webClient()
				.get()
				.uri(endpoint.resolve("/health"))
				.accept(MediaType.APPLICATION_JSON)
				.exchangeToMono((response) -> read(endpoint, response, start))
				.timeout(this.timeout)
				.onErrorResume((ex) -> Mono.just(new WorkerHealth(endpoint.publicUrl(), "DOWN", millisSince(start),
						describe(ex))));
		});
	}

	private Mono<WorkerHealth> read(WorkerEndpoint endpoint, ClientResponse response, long start) {
		int status = response.statusCode().value();
		return response.bodyToMono(byte[].class).defaultIfEmpty(EMPTY).map((bytes) -> {
			String reported = reportedStatus(bytes);
			long latency = millisSince(start);
			if (status == 200) {
				String healthy = ("DEGRADED".equals(reported)) ? "DEGRADED" : "UP";
				return new WorkerHealth(endpoint.publicUrl(), healthy, latency,
						"DEGRADED".equals(healthy) ? "the worker reports DEGRADED" : null);
			}
			return new WorkerHealth(endpoint.publicUrl(), "DOWN", latency, "the worker answered HTTP " + status
					+ ((reported != null) ? " with status " + reported : ""));
		});
	}

	private String reportedStatus(byte[] bytes) {
		if (bytes.length == 0) {
			return null;
		}
		try {
			JsonNode node = this.jsonMapper.readTree(bytes);
			return node.path("status").isString() ? node.path("status").stringValue() : null;
		}
		catch (JacksonException ex) {
			return null;
		}
	}

	private String describe(Throwable failure) {
		if (failure instanceof TimeoutException) {
			return "no answer within " + this.timeout.toMillis() + " ms";
		}
		Throwable root = failure;
		while (root.getCause() != null && root.getCause() != root) {
			root = root.getCause();
		}
		if (root instanceof java.net.ConnectException) {
			return "connection refused or unreachable";
		}
		return "probe failed: " + root.getClass().getSimpleName()
				+ ((root.getMessage() != null) ? " " + root.getMessage() : "");
	}

	private static long millisSince(long start) {
		return Duration.ofNanos(System.nanoTime() - start).toMillis();
	}

}

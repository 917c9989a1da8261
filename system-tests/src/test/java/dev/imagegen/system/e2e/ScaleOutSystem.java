package dev.imagegen.system.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import dev.imagegen.testsupport.TestRedis;

/**
 * The Redis mode as separate operating-system processes on loopback: one Redis, the emulator, several workers and
 * several API replicas, wired only by {@code REDIS_URL} (no API knows a worker's address), as the scale-out
 * deployment wires them.
 */
final class ScaleOutSystem implements AutoCloseable {

	/** Short, so that a killed worker's entries are taken over within a test's patience. */
	static final String HEARTBEAT_TIMEOUT = "3s";

	private final String workerToken = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));

	private final String metricsToken = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));

	private final List<AutoCloseable> started = new ArrayList<>();

	private final Thread shutdownHook = new Thread(this::close, "imagegen-scale-out-shutdown");

	private final TestRedis redis;

	private final ServiceProcess emulator;

	private final List<ServiceProcess> workers = new ArrayList<>();

	private final List<ServiceProcess> apis = new ArrayList<>();

	private final EmulatorControl emulatorControl;

	private ScaleOutSystem(String name, int workers, int apis) {
		Runtime.getRuntime().addShutdownHook(this.shutdownHook);
		Path logs = ImagegenSystem.logs(name);
		int[] ports = ImagegenSystem.freePorts(1 + workers + apis);
		this.redis = TestRedis.start();
		this.started.add(this.redis);
		this.emulator = new ServiceProcess("emulator", ImagegenSystem.jar("perchance-emulator", "-exec"), ports[0],
				Map.of("PORT", String.valueOf(ports[0])), logs, "/__emulator/config");
		this.emulatorControl = new EmulatorControl(this.emulator.baseUrl());
		for (int i = 0; i < workers; i++) {
			Map<String, String> env = ImagegenSystem.workerEnvironment(ports[1 + i], this.emulator.baseUrl(),
					this.workerToken, logs.resolve("profiles-" + i));
			env.put("REDIS_URL", this.redis.url());
			env.put("WORKER_HEARTBEAT_TIMEOUT", HEARTBEAT_TIMEOUT);
			env.put("METRICS_TOKEN", this.metricsToken);
			this.workers.add(new ServiceProcess("worker-" + i, ImagegenSystem.jar("worker-service", ""),
					ports[1 + i], env, logs, "/actuator/health/readiness"));
		}
		for (int i = 0; i < apis; i++) {
			int port = ports[1 + workers + i];
			Map<String, String> env = ImagegenSystem.apiEnvironment(port, this.workerToken);
			env.put("REDIS_URL", this.redis.url());
			env.put("METRICS_TOKEN", this.metricsToken);
			this.apis.add(new ServiceProcess("api-" + i, ImagegenSystem.jar("api-service", ""), port, env, logs,
					"/actuator/health/readiness"));
		}
	}

	/**
	 * Starts Redis, the emulator, the workers and then the APIs, each waiting for the previous to be ready; on a
	 * failure whatever was started is stopped.
	 * @param name a folder under {@code target/e2e/} for the logs
	 * @param workers how many workers (one browser session each)
	 * @param apis how many API replicas
	 * @return the running system
	 */
	static ScaleOutSystem start(String name, int workers, int apis) {
		ScaleOutSystem system = new ScaleOutSystem(name, workers, apis);
		try {
			system.startAndTrack(system.emulator);
			system.emulatorControl.configure(Map.of("generateLatencyMs", 150, "turnstileDelayMs", 100));
			system.workers.forEach(system::startAndTrack);
			system.apis.forEach(system::startAndTrack);
			return system;
		}
		catch (RuntimeException | Error ex) {
			system.close();
			throw ex;
		}
	}

	private void startAndTrack(ServiceProcess process) {
		this.started.add(process::stop);
		process.start(ImagegenSystem.READINESS_DEADLINE);
	}

	TestRedis redis() {
		return this.redis;
	}

	List<ServiceProcess> workers() {
		return this.workers;
	}

	List<ServiceProcess> apis() {
		return this.apis;
	}

	/**
	 * The sum of a metric's series that carry one label in a worker's Prometheus scrape.
	 * @param worker the worker's index
	 * @param name the series name, e.g. {@code imagegen_worker_redis_entries_total}
	 * @param label one label as the scrape writes it, e.g. {@code outcome="claimed"}
	 * @return the sum, 0 when the worker has not exported it (yet)
	 */
	double workerMetric(int worker, String name, String label) {
		return scrape(this.workers.get(worker)).lines()
			.filter((line) -> line.startsWith(name + "{") && line.contains(label))
			.mapToDouble((line) -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
			.sum();
	}

	/**
	 * The names of the series an API replica exports.
	 * @param api the replica's index
	 * @return the series names of its Prometheus scrape
	 */
	Set<String> apiSeries(int api) {
		Set<String> names = new TreeSet<>();
		scrape(this.apis.get(api)).lines()
			.filter((line) -> !line.isBlank() && !line.startsWith("#"))
			.forEach((line) -> names.add(line.split("[{ ]", 2)[0]));
		return names;
	}

	private String scrape(ServiceProcess service) {
		HttpRequest request = HttpRequest.newBuilder(URI.create(service.baseUrl() + "/actuator/prometheus"))
			.header("Authorization", "Bearer " + this.metricsToken)
			.timeout(Duration.ofSeconds(10))
			.build();
		try {
			HttpResponse<String> response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
			if (response.statusCode() != 200) {
				throw new IllegalStateException("prometheus scrape answered " + response.statusCode());
			}
			return response.body();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	ApiClient api(int index) {
		return new ApiClient(this.apis.get(index).baseUrl());
	}

	EmulatorControl emulatorControl() {
		return this.emulatorControl;
	}

	/** The tails of every service's log, for failure messages. */
	String logs() {
		StringBuilder logs = new StringBuilder();
		List<ServiceProcess> all = new ArrayList<>(this.workers);
		all.addAll(this.apis);
		for (ServiceProcess process : all) {
			logs.append("\n----- ").append(process).append(" (").append(process.logFile()).append(") -----\n")
				.append(process.logTail());
		}
		return logs.toString();
	}

	/** Reverse start order: APIs first, Redis last. */
	@Override
	public void close() {
		for (int i = this.started.size() - 1; i >= 0; i--) {
			try {
				this.started.get(i).close();
			}
			catch (Exception ex) {
				// Keep stopping the others: an orphaned JVM, browser or Redis would outlive the build.
			}
		}
		this.started.clear();
		try {
			Runtime.getRuntime().removeShutdownHook(this.shutdownHook);
		}
		catch (IllegalStateException ex) {
			// Already shutting down: the hook is the caller.
		}
	}

}

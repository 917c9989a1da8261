package dev.imagegen.system.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.imagegen.testsupport.TestBrowser;

/**
 * The whole system as three operating-system processes on random free loopback ports: the Perchance
 * emulator, a worker pointed at it (headless Chromium), and the API pointed at the worker. They are
 * wired only by the contract's environment variables, exactly as a deployment wires them.
 */
final class ImagegenSystem implements AutoCloseable {

	/** Readiness includes launching the browser, on a machine shared with the build. */
	static final Duration READINESS_DEADLINE = Duration.ofSeconds(150);

	private final String workerToken = HexFormat.of().formatHex(new SecureRandom().generateSeed(16));

	private final List<ServiceProcess> started = new ArrayList<>();

	private final Thread shutdownHook = new Thread(this::close, "imagegen-system-shutdown");

	private final ServiceProcess emulator;

	private final ServiceProcess worker;

	private final ServiceProcess api;

	private final EmulatorControl emulatorControl;

	private ImagegenSystem(String name, Map<String, String> sharedEnv) {
		Path logs = logs(name);
		int[] ports = freePorts(3);
		int emulatorPort = ports[0];
		int workerPort = ports[1];
		int apiPort = ports[2];

		this.emulator = new ServiceProcess("emulator",
				jar("perchance-emulator", "-exec"), emulatorPort,
				Map.of("PORT", String.valueOf(emulatorPort)), logs, "/__emulator/config");

		String emulatorUrl = this.emulator.baseUrl();
		Map<String, String> workerEnv = workerEnvironment(workerPort, emulatorUrl, this.workerToken,
				logs.resolve("profiles"));
		workerEnv.putAll(sharedEnv);
		this.worker = new ServiceProcess("worker",
				jar("worker-service", ""), workerPort, workerEnv, logs,
				"/actuator/health/readiness");

		Map<String, String> apiEnv = apiEnvironment(apiPort, this.workerToken);
		apiEnv.put("PERCHANCE_WORKER_URL", this.worker.baseUrl());
		apiEnv.putAll(sharedEnv);
		this.api = new ServiceProcess("api", jar("api-service", ""), apiPort, apiEnv, logs,
				"/actuator/health/readiness");

		this.emulatorControl = new EmulatorControl(emulatorUrl);
	}

	/**
	 * Starts emulator, worker and API in that order (each waits for the previous one to be ready). On
	 * any failure, whatever was started is stopped before the exception propagates.
	 * @param name a folder name under {@code target/e2e/} for the logs
	 * @return the running system
	 */
	static ImagegenSystem start(String name) {
		return start(name, Map.of());
	}

	/**
	 * Starts the system with variables given to both the worker and the API (a setting both services read).
	 * @param name a folder name under {@code target/e2e/} for the logs
	 * @param sharedEnv variables for both services
	 * @return the running system
	 */
	static ImagegenSystem start(String name, Map<String, String> sharedEnv) {
		ImagegenSystem system = new ImagegenSystem(name, sharedEnv);
		Runtime.getRuntime().addShutdownHook(system.shutdownHook);
		try {
			system.startAndTrack(system.emulator);
			// Small latencies: the tests exercise behaviour, not Perchance's speed.
			system.emulatorControl.configure(Map.of("generateLatencyMs", 150, "turnstileDelayMs", 100));
			system.startAndTrack(system.worker);
			system.startAndTrack(system.api);
			return system;
		}
		catch (RuntimeException | Error ex) {
			system.close();
			throw ex;
		}
	}

	private void startAndTrack(ServiceProcess process) {
		this.started.add(process);
		process.start(READINESS_DEADLINE);
	}

	ServiceProcess api() {
		return this.api;
	}

	ServiceProcess worker() {
		return this.worker;
	}

	EmulatorControl emulatorControl() {
		return this.emulatorControl;
	}

	/** Reverse start order: the API first, so that nothing sends work to a stopped worker. */
	@Override
	public void close() {
		for (int i = this.started.size() - 1; i >= 0; i--) {
			try {
				this.started.get(i).stop();
			}
			catch (RuntimeException ex) {
				// Keep stopping the others: an orphaned JVM or browser would outlive the build.
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

	/** Describes where the logs are, for failure messages. */
	String logs() {
		StringBuilder logs = new StringBuilder();
		for (ServiceProcess process : List.of(this.emulator, this.worker, this.api)) {
			logs.append("\n----- ").append(process).append(" (").append(process.logFile()).append(") -----\n")
				.append(process.logTail());
		}
		return logs.toString();
	}

	/**
	 * A worker's variables: loopback, headless Chromium, one session, the emulator as Perchance.
	 * @param port its port
	 * @param emulatorUrl the emulator's base URL
	 * @param token the bearer token the API sends
	 * @param profiles the parent folder of its browser profiles (one per worker)
	 * @return a mutable map
	 */
	static Map<String, String> workerEnvironment(int port, String emulatorUrl, String token, Path profiles) {
		Map<String, String> env = new LinkedHashMap<>();
		env.put("PORT", String.valueOf(port));
		env.put("SERVER_ADDRESS", "127.0.0.1");
		env.put("WORKER_TOKEN", token);
		env.put("PERCHANCE_BASE_URL", emulatorUrl);
		env.put("PERCHANCE_SITE_URL", emulatorUrl);
		env.put("BROWSER_ENGINE", "chromium");
		env.put("BROWSER_EXECUTABLE_PATH", TestBrowser.executable().toString());
		env.put("BROWSER_HEADLESS", "true");
		env.put("BROWSER_PROFILE_DIR", profiles.toString());
		env.put("WORKER_SESSIONS", "1");
		env.put("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
		return env;
	}

	/**
	 * An API's variables: loopback, client limits lifted. Every test talks from 127.0.0.1: one anonymous client
	 * whose default quota (10 a minute) the suite exceeds.
	 * @param port its port
	 * @param token the bearer token it sends to workers
	 * @return a mutable map, without a way to reach workers (the caller adds one)
	 */
	static Map<String, String> apiEnvironment(int port, String token) {
		Map<String, String> env = new LinkedHashMap<>();
		env.put("PORT", String.valueOf(port));
		env.put("SERVER_ADDRESS", "127.0.0.1");
		env.put("WORKER_TOKEN", token);
		env.put("ANON_GENERATIONS_PER_MINUTE", "100000");
		env.put("ANON_MAX_CONCURRENT", "1000");
		env.put("CLIENT_REQUESTS_PER_MINUTE", "1000000");
		return env;
	}

	/** The runnable jar that {@code mvn package} writes for a module. */
	static Path jar(String module, String classifier) {
		String version = System.getProperty("imagegen.version", "0.1.0-SNAPSHOT");
		return root().resolve(module + "/target/" + module + "-" + version + classifier + ".jar");
	}

	/** Where a test's process logs go. */
	static Path logs(String name) {
		return root().resolve("system-tests/target/e2e/" + name);
	}

	/** The repository root, which holds every module's {@code target/}. */
	static Path root() {
		Path root = Path.of(System.getProperty("imagegen.root", "..")).toAbsolutePath().normalize();
		if (!Files.isRegularFile(root.resolve("pom.xml")) || !Files.isDirectory(root.resolve("system-tests"))) {
			throw new IllegalStateException("Not the repository root: " + root);
		}
		return root;
	}

	/** Holds all sockets open at once so that the ports are distinct. */
	static int[] freePorts(int count) {
		List<ServerSocket> sockets = new ArrayList<>();
		try {
			for (int i = 0; i < count; i++) {
				sockets.add(new ServerSocket(0, 1, InetAddress.getLoopbackAddress()));
			}
			return sockets.stream().mapToInt(ServerSocket::getLocalPort).toArray();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		finally {
			for (ServerSocket socket : sockets) {
				try {
					socket.close();
				}
				catch (IOException ex) {
					// The port is free either way once the test process exits.
				}
			}
		}
	}

}

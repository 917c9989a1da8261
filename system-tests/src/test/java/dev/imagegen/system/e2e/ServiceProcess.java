package dev.imagegen.system.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.awaitility.core.ConditionTimeoutException;

import static org.awaitility.Awaitility.await;

/**
 * One packaged jar running as its own operating-system process, as in production: configured only
 * through environment variables, its output in a log file under {@code target/}, and stoppable
 * either politely (SIGTERM, as an orchestrator does) or brutally (SIGKILL of the whole process tree, as
 * a crash or an OOM kill does).
 */
final class ServiceProcess implements AutoCloseable {

	/** Contract variables that must not leak into a child from the environment that runs the build. */
	private static final List<String> CONTRACT_VARIABLES = List.of("PORT", "WORKER_TOKEN", "PERCHANCE_WORKER_URL",
			"WORKER_TIMEOUT", "MAX_PROMPT_LENGTH", "PERCHANCE_BASE_URL", "PERCHANCE_SITE_URL", "BROWSER_ENGINE",
			"BROWSER_EXECUTABLE_PATH", "BROWSER_HEADLESS", "BROWSER_PROFILE_DIR", "WORKER_SESSIONS",
			"WORKER_QUEUE_CAPACITY", "GENERATION_TIMEOUT", "SERVER_ADDRESS", "SPRING_PROFILES_ACTIVE",
			"JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS");

	private static final HttpClient PROBE = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

	private final String name;

	private final Path jar;

	private final int port;

	private final Map<String, String> environment;

	private final Path logFile;

	private final String readinessPath;

	private Process process;

	ServiceProcess(String name, Path jar, int port, Map<String, String> environment, Path logDirectory,
			String readinessPath) {
		this.name = name;
		this.jar = jar;
		this.port = port;
		this.environment = new LinkedHashMap<>(environment);
		this.logFile = logDirectory.resolve(name + ".log");
		this.readinessPath = readinessPath;
	}

	/** The loopback base URL, e.g. {@code http://127.0.0.1:41234}. */
	String baseUrl() {
		return "http://127.0.0.1:" + this.port;
	}

	Path logFile() {
		return this.logFile;
	}

	boolean isAlive() {
		return this.process != null && this.process.isAlive();
	}

	/**
	 * Starts the jar (appending to its log, so that a restart keeps the history) and waits until its
	 * readiness URL answers 200, failing early with the log's tail when the process dies first.
	 * @param readinessDeadline how long the service may take to become ready
	 */
	void start(Duration readinessDeadline) {
		launch();
		awaitReady(readinessDeadline);
	}

	/** Starts the jar without waiting for anything (for processes that are expected to fail). */
	void launch() {
		if (isAlive()) {
			throw new IllegalStateException(this.name + " is already running");
		}
		if (!Files.isRegularFile(this.jar)) {
			throw new IllegalStateException("Missing " + this.jar + ": build it first (mvn package)");
		}
		try {
			Files.createDirectories(this.logFile.getParent());
			// A private copy: a rebuild of the module while the process runs must not change its classes.
			Path runnable = this.logFile.resolveSibling(this.name + ".jar");
			Files.copy(this.jar, runnable, StandardCopyOption.REPLACE_EXISTING);
			List<String> command = new ArrayList<>();
			command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
			// Small heaps and C1 only: three JVMs share two cores with the build; start-up dominates.
			command.add("-Xmx384m");
			command.add("-XX:TieredStopAtLevel=1");
			command.add("-XX:+UseSerialGC");
			command.add("-Djava.awt.headless=true");
			command.add("-jar");
			command.add(runnable.toString());
			ProcessBuilder builder = new ProcessBuilder(command);
			CONTRACT_VARIABLES.forEach(builder.environment()::remove);
			builder.environment().putAll(this.environment);
			builder.redirectErrorStream(true);
			builder.redirectOutput(ProcessBuilder.Redirect.appendTo(this.logFile.toFile()));
			// A new log per test run; a restart within the run appends, so the history stays in one file.
			Files.writeString(this.logFile, "%n===== starting %s on port %d =====%n".formatted(this.name, this.port),
					StandardCharsets.UTF_8, StandardOpenOption.CREATE,
					(this.process == null) ? StandardOpenOption.TRUNCATE_EXISTING : StandardOpenOption.APPEND);
			this.process = builder.start();
		}
		catch (IOException ex) {
			throw new UncheckedIOException("Cannot start " + this.name, ex);
		}
	}

	/**
	 * Waits for the process to exit on its own.
	 * @param deadline how long to wait
	 * @return its exit code
	 */
	int awaitExit(Duration deadline) {
		try {
			if (!this.process.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS)) {
				throw new IllegalStateException(this.name + " still runs after " + deadline + "; log tail:\n" + logTail());
			}
			return this.process.exitValue();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	/** The whole log, for assertions on what the service said. */
	String log() {
		try {
			return Files.readString(this.logFile, StandardCharsets.UTF_8);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	private void awaitReady(Duration deadline) {
		URI readiness = URI.create(baseUrl() + this.readinessPath);
		try {
			pollReadiness(readiness, deadline);
		}
		catch (ConditionTimeoutException ex) {
			throw new IllegalStateException(this.name + " was not ready at " + readiness + " within " + deadline
					+ "; log tail (" + this.logFile + "):\n" + logTail(), ex);
		}
	}

	private void pollReadiness(URI readiness, Duration deadline) {
		await(this.name + " ready at " + readiness).atMost(deadline)
			.pollInterval(Duration.ofMillis(250))
			.ignoreExceptionsMatching((ex) -> ex instanceof IOException || ex instanceof UncheckedIOException)
			.until(() -> {
				if (!this.process.isAlive()) {
					throw new IllegalStateException(this.name + " exited with " + this.process.exitValue()
							+ " before it was ready; log tail:\n" + logTail());
				}
				HttpResponse<Void> response = PROBE.send(
						HttpRequest.newBuilder(readiness).timeout(Duration.ofSeconds(2)).GET().build(),
						HttpResponse.BodyHandlers.discarding());
				return response.statusCode() == 200;
			});
	}

	/** SIGTERM, then SIGKILL when it has not exited in time; stragglers of its process tree are killed too. */
	void stop() {
		if (this.process == null) {
			return;
		}
		List<ProcessHandle> tree = this.process.descendants().toList();
		this.process.destroy();
		try {
			if (!this.process.waitFor(20, TimeUnit.SECONDS)) {
				this.process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			this.process.destroyForcibly();
		}
		killAll(tree);
	}

	/** Simulates a crash: the JVM and every process it started (browser driver, browser) die at once. */
	void kill() {
		if (this.process == null) {
			return;
		}
		List<ProcessHandle> tree = this.process.descendants().toList();
		this.process.destroyForcibly();
		killAll(tree);
		try {
			this.process.waitFor(10, TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	private static void killAll(List<ProcessHandle> processes) {
		processes.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
	}

	/** The last lines of the log, for failure messages. */
	String logTail() {
		try {
			List<String> lines = Files.readAllLines(this.logFile, StandardCharsets.UTF_8);
			return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
		}
		catch (IOException | UncheckedIOException ex) {
			return "(no log: " + ex.getMessage() + ")";
		}
	}

	@Override
	public void close() {
		stop();
	}

	@Override
	public String toString() {
		return this.name + "@" + baseUrl();
	}

}

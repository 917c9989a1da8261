package dev.imagegen.worker.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import dev.imagegen.worker.browser.SessionPool;

import dev.imagegen.testsupport.TestBrowser;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Base of the worker's end-to-end tests: a real worker (random port, real Chromium) against the in-JVM
 * emulator. Classes that extend it without changing the configuration share one Spring context, hence one
 * browser session; the emulator is reset before each test.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
public abstract class WorkerTestBase {

	/** Chromium flags for root in a container. */
	public static final String CHROMIUM_ARGS = String.join(",", TestBrowser.CHROMIUM_ARGS);

	/** METRICS_TOKEN of the test configuration. */
	public static final String METRICS_TOKEN = "test-metrics-token";

	/** Breaker window of the test configuration. */
	public static final Duration BREAKER_OPEN = Duration.ofMillis(1500);

	protected static final JsonMapper JSON = JsonMapper.builder().build();

	private static final Path SHARED_PROFILES = createTempDir("profiles");

	private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

	private static final Set<SessionPool> NEVER_READY = ConcurrentHashMap.newKeySet();

	@LocalServerPort
	protected int port;

	@Autowired
	protected SessionPool pool;

	@Autowired
	private io.micrometer.core.instrument.MeterRegistry meters;

	@org.springframework.beans.factory.annotation.Value("${imagegen.worker.browser.profile-dir}")
	private Path profileDir;

	@DynamicPropertySource
	static void workerProperties(DynamicPropertyRegistry registry) {
		// A missing browser fails the build with the install command, never skips the tests.
		String executable = TestBrowser.executable().toString();
		registry.add("imagegen.worker.perchance.base-url", () -> Emulator.get().baseUrl());
		registry.add("imagegen.worker.perchance.site-url", () -> Emulator.get().baseUrl());
		registry.add("imagegen.worker.metrics-token", () -> METRICS_TOKEN);
		registry.add("imagegen.worker.perchance.step-timeout", () -> "6s");
		registry.add("imagegen.worker.perchance.turnstile-timeout", () -> "3s");
		registry.add("imagegen.worker.perchance.turnstile-poll-interval", () -> "100ms");
		registry.add("imagegen.worker.browser.engine", () -> "chromium");
		registry.add("imagegen.worker.browser.executable-path", () -> executable);
		registry.add("imagegen.worker.browser.args", () -> CHROMIUM_ARGS);
		// Contexts live side by side in the test context cache; each needs its own profiles (Chromium locks one).
		registry.add("imagegen.worker.browser.profile-dir", () -> SHARED_PROFILES + "/${imagegen.test.context:shared}");
		registry.add("imagegen.worker.browser.relaunch-backoff-min", () -> "200ms");
		registry.add("imagegen.worker.browser.relaunch-backoff-max", () -> "2s");
		registry.add("imagegen.worker.retry.initial-backoff", () -> "50ms");
		registry.add("imagegen.worker.retry.max-backoff", () -> "200ms");
		registry.add("imagegen.worker.retry.download-backoff", () -> "50ms");
		registry.add("imagegen.worker.breaker.open-duration", () -> BREAKER_OPEN.toMillis() + "ms");
		registry.add("imagegen.worker.jobs.generation-timeout", () -> "${imagegen.test.generation-timeout:30s}");
		registry.add("imagegen.worker.jobs.shutdown-grace", () -> "2s");
	}

	/**
	 * A fresh directory for the browser profiles of one context (Chromium locks a profile per process).
	 * @param name a label
	 * @return the directory
	 */
	public static Path createTempDir(String name) {
		try {
			return Files.createTempDirectory("imagegen-worker-test-" + name);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	@BeforeEach
	void resetEmulatorAndAwaitSessions() {
		// Fail fast once this context's sessions never came up instead of waiting again for every test.
		assertThat(NEVER_READY).as("browser sessions never became ready in an earlier test").doesNotContain(this.pool);
		Emulator.reset();
		Emulator.config(Map.of("generateLatencyMs", 100, "turnstileDelayMs", 300));
		try {
			await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(this::allSessionsServe);
		}
		catch (RuntimeException ex) {
			NEVER_READY.add(this.pool);
			throw new AssertionError("browser sessions not ready: " + this.pool.snapshot(), ex);
		}
		Emulator.clearLog();
	}

	@AfterEach
	void restoreEmulatorDefaults() {
		// A context that starts next warms up against the emulator before its first test resets it.
		Emulator.reset();
	}

	/**
	 * The profile folder of one session (to find its browser processes).
	 * @param index the session index
	 * @return the folder
	 */
	protected Path profileOf(int index) {
		return this.profileDir.resolve("session-" + index);
	}

	/**
	 * Jobs dropped without generating, for one reason.
	 * @param reason e.g. {@code caller-gone}
	 * @return the count so far
	 */
	protected double dropped(String reason) {
		io.micrometer.core.instrument.Counter counter = this.meters.find("imagegen.worker.jobs.dropped")
			.tag("reason", reason)
			.counter();
		return (counter != null) ? counter.count() : 0;
	}

	/**
	 * Whether at least one session can take a job now.
	 * @return true when one can
	 */
	protected boolean anySessionServes() {
		return this.pool.snapshot().sessions().stream().anyMatch((s) -> s.canServe());
	}

	private boolean allSessionsServe() {
		return this.pool.snapshot().sessions().stream().allMatch((s) -> s.canServe());
	}

	/**
	 * A request body with defaults for everything but the prompt.
	 * @param prompt the prompt
	 * @return a mutable body
	 */
	protected static Map<String, Object> body(String prompt) {
		Map<String, Object> body = new LinkedHashMap<>();
		body.put("prompt", prompt);
		return body;
	}

	/**
	 * Posts a body to the worker's {@code /generate}.
	 * @param body the JSON body
	 * @param headers extra headers, name then value
	 * @return the response
	 */
	protected HttpResponse<byte[]> generate(Object body, String... headers) {
		String json = (body instanceof String s) ? s : JSON.writeValueAsString(body);
		return send("POST", "/generate", json, headers);
	}

	/**
	 * Sends a request to the worker.
	 * @param method the method
	 * @param path the path
	 * @param body the body or null
	 * @param headers extra headers, name then value
	 * @return the response
	 */
	protected HttpResponse<byte[]> send(String method, String path, String body, String... headers) {
		HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + path))
			.timeout(Duration.ofSeconds(60));
		if (body != null) {
			request.header("Content-Type", "application/json");
		}
		for (int i = 0; i < headers.length; i += 2) {
			request.header(headers[i], headers[i + 1]);
		}
		request.method(method, (body != null) ? HttpRequest.BodyPublishers.ofString(body)
				: HttpRequest.BodyPublishers.noBody());
		try {
			return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	/**
	 * Parses a JSON response body.
	 * @param response the response
	 * @return the JSON
	 */
	protected static JsonNode json(HttpResponse<byte[]> response) {
		return JSON.readTree(response.body());
	}

	/**
	 * Asserts a problem+json answer.
	 * @param response the response
	 * @param status expected HTTP status
	 * @param type expected type name, e.g. {@code queue-full}
	 * @return the problem body
	 */
	protected static JsonNode assertProblem(HttpResponse<byte[]> response, int status, String type) {
		assertThat(response.statusCode()).as(() -> new String(response.body())).isEqualTo(status);
		assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
				(ct) -> assertThat(ct).startsWith("application/problem+json"));
		JsonNode problem = json(response);
		assertThat(problem.path("type").asString()).isEqualTo("https://imagegen.dev/problems/" + type);
		assertThat(problem.path("status").asInt()).isEqualTo(status);
		return problem;
	}

}

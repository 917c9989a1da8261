package dev.imagegen.system.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.imagegen.testsupport.TestBrowser;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * README's run command as a newcomer meets it: {@code ./run.sh} without a network says at once to use
 * {@code --offline} instead of waiting out its start-up timeout, and Ctrl-C during a generation lets that
 * generation finish (the API stops first, then the worker drains) instead of killing the browser under it.
 */
class RunScriptEndToEndTests {

	private Process script;

	private Path output;

	@AfterEach
	void stopScript() throws InterruptedException {
		if (this.script != null && this.script.isAlive()) {
			this.script.destroy();
			if (!this.script.waitFor(90, TimeUnit.SECONDS)) {
				this.script.destroyForcibly();
			}
		}
	}

	@Test
	void withoutANetworkItSaysToUseOfflineAtOnce() throws Exception {
		int[] ports = ImagegenSystem.freePorts(3);
		// A closed loopback port stands for an unreachable Perchance: the connection is refused at once.
		start(Map.of("PERCHANCE_BASE_URL", "http://127.0.0.1:" + ports[2], "API_PORT", String.valueOf(ports[0]),
				"WORKER_PORT", String.valueOf(ports[1])));

		// Well below READY_TIMEOUT (240 s): the script gives up before starting anything.
		assertThat(this.script.waitFor(60, TimeUnit.SECONDS)).as(this::output).isTrue();
		assertThat(this.script.exitValue()).as(this::output).isEqualTo(1);
		assertThat(output()).contains("cannot reach Perchance at http://127.0.0.1:" + ports[2])
			.contains("./run.sh --offline")
			.doesNotContain("waiting for worker");
	}

	@Test
	void ctrlCLetsAGenerationInFlightFinish() throws Exception {
		int[] ports = ImagegenSystem.freePorts(3);
		start(Map.of("API_PORT", String.valueOf(ports[0]), "WORKER_PORT", String.valueOf(ports[1]), "EMULATOR_PORT",
				String.valueOf(ports[2]), "BROWSER_EXECUTABLE_PATH", TestBrowser.executable().toString(),
				"BROWSER_PROFILE_DIR", Files.createTempDirectory("imagegen-run-sh-profiles").toString(),
				"BROWSER_ARGS", String.join(",", TestBrowser.CHROMIUM_ARGS), "JAVA_OPTS", "-Xmx256m"),
				"--offline");
		await().atMost(Duration.ofSeconds(240))
			.pollInterval(Duration.ofMillis(500))
			.failFast(() -> !this.script.isAlive())
			.until(() -> output().contains("imagegen is running"));
		EmulatorControl emulator = new EmulatorControl("http://127.0.0.1:" + ports[2]);
		emulator.configure(Map.of("generateLatencyMs", 4000));
		emulator.clearLog();

		ApiClient api = new ApiClient("http://127.0.0.1:" + ports[0]);
		CompletableFuture<HttpResponse<byte[]>> generation = CompletableFuture
			.supplyAsync(() -> api.generate(Map.of("prompt", "a red fox", "seed", "7"), Duration.ofSeconds(60)));
		// The upstream has the job: from here on only a drain, not a kill, gives the caller its image.
		await().atMost(Duration.ofSeconds(30)).until(() -> !emulator.generateCalls().isEmpty());
		new ProcessBuilder("kill", "-INT", Long.toString(this.script.pid())).start().waitFor();

		HttpResponse<byte[]> response = generation.get(60, TimeUnit.SECONDS);
		assertThat(response.statusCode()).as(() -> ApiClient.text(response) + "\n" + output()).isEqualTo(200);
		assertThat(response.headers().firstValue("Content-Type")).hasValue("image/png");
		assertThat(this.script.waitFor(150, TimeUnit.SECONDS)).as(this::output).isTrue();
		assertThat(output()).contains("stopped.").doesNotContain("did not stop within");
	}

	private void start(Map<String, String> env, String... args) throws IOException {
		Path root = ImagegenSystem.root();
		this.output = Files.createTempFile("imagegen-run-sh", ".out");
		ProcessBuilder builder = new ProcessBuilder("bash", root.resolve("run.sh").toString());
		builder.command().addAll(List.of(args));
		builder.directory(root.toFile());
		// Only what the test sets: an operator's own variables (WORKER_TOKEN, BROWSER_ENGINE …) must not leak in.
		builder.environment().keySet().removeIf((name) -> name.startsWith("BROWSER_") || name.startsWith("PERCHANCE_")
				|| name.equals("WORKER_TOKEN") || name.equals("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD"));
		builder.environment().putAll(env);
		builder.redirectErrorStream(true);
		builder.redirectOutput(this.output.toFile());
		this.script = builder.start();
	}

	private String output() {
		try {
			return Files.readString(this.output, StandardCharsets.UTF_8);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

}

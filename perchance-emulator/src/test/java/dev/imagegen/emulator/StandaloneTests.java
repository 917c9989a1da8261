package dev.imagegen.emulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The standalone entry point: port from env {@code PORT}, URL logged, clean stop on SIGTERM. */
class StandaloneTests {

    @Test
    void mainServesOnThePortFromTheEnvironmentAndStopsOnSigterm(@TempDir Path dir) throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0)) {
            port = probe.getLocalPort();
        }
        Path output = dir.resolve("emulator.log");
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), PerchanceEmulator.class.getName());
        builder.environment().put("PORT", Integer.toString(port));
        builder.redirectErrorStream(true).redirectOutput(output.toFile());
        Process process = builder.start();
        try {
            EmulatorClient client = new EmulatorClient("http://127.0.0.1:" + port);
            await().atMost(Duration.ofSeconds(20)).ignoreExceptions()
                .until(() -> client.get("/").statusCode() == 200);

            assertThat(client.verify()).matches("[0-9a-f]{64}");
            // The access line is written just after the answer leaves.
            await().atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(Files.readString(output)).contains("http://0.0.0.0:" + port)
                    .contains("GET /api/verifyUser -> 200"));

            process.destroy();
            assertThat(process.waitFor(10, TimeUnit.SECONDS)).as("stopped after SIGTERM").isTrue();
        }
        finally {
            process.destroyForcibly();
        }
    }

}

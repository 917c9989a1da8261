package dev.imagegen.system.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The repository stands on its own: the upstream protocol the worker speaks and the emulator reproduces is
 * written in {@code docs/perchance-protocol.md}, every upstream status is in it and handled by the worker,
 * and nothing points at documents a clone does not have.
 */
class ProtocolDocsTests {

	private final Repository repository = Repository.current();

	@ParameterizedTest
	@ValueSource(strings = { "already_verified", "failed_verification", "too_many_requests",
			"waiting_for_prev_request_to_finish", "invalid_key", "not_logged_in", "invalid_ad_access_code",
			"invalid_data", "gen_failure", "fetch_failure", "stale_request", "client_update_required" })
	void everyUpstreamStatusIsDocumentedAndHandledByTheWorker(String status) {
		assertThat(this.repository.read("docs/perchance-protocol.md")).contains("`" + status + "`");
		assertThat(String.join("\n", this.repository.mainSources("worker-service"))).as("worker")
			.contains("\"" + status + "\"");
	}

	@ParameterizedTest
	@ValueSource(strings = { "/api/verifyUser", "/api/generate", "/api/awaitExistingGenerationRequest",
			"/api/getUserQueuePosition", "/api/downloadTemporaryImage", "/api/checkUserVerificationStatus",
			"/api/getAccessCodeForAdPoweredStuff", "/embed", "token_required", "not_in_queue", "x-image-sha256",
			"x-expires-at" })
	void everyEndpointAndFieldTheEmulatorServesIsDocumented(String name) {
		assertThat(this.repository.read("docs/perchance-protocol.md")).contains(name);
		// The emulator answers any status on demand (its fault API), so only what it serves natively is checked.
		assertThat(String.join("\n", this.repository.mainSources("perchance-emulator"))).as("emulator")
			.contains(name.replace("/api/", ""));
	}

	@Test
	void nothingPointsOutsideTheRepository() throws IOException {
		try (Stream<Path> files = Files.walk(this.repository.path("."))) {
			List<Path> texts = files.filter(Files::isRegularFile)
				.filter((file) -> !file.toString().contains("/target/") && !file.toString().contains("/.git/")
						&& !file.toString().contains("/var/"))
				.filter((file) -> file.toString().matches(".*\\.(md|java|ya?ml|sh|html|js|Dockerfile)$"))
				.toList();
			assertThat(texts).hasSizeGreaterThan(50);
			// Spelled in parts so that this file does not name them itself.
			String outside = "shared" + "/";
			for (Path file : texts) {
				assertThat(read(file)).as(file.toString())
					.doesNotContain(outside + "contract.md")
					.doesNotContain(outside + "perchance-protocol.md")
					.doesNotContain(outside + "design.md");
			}
		}
	}

	private static String read(Path file) {
		try {
			return Files.readString(file, StandardCharsets.UTF_8);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

}

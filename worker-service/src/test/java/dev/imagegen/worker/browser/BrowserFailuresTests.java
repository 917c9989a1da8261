package dev.imagegen.worker.browser;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code lastError} after a browser failure carries the whole cause on one line, not {@code Error {}.
 */
class BrowserFailuresTests {

	private static final Path PROFILES = Path.of("/var/tmp/imagegen-worker-profiles-8081");

	@Test
	void playwrightsMultiLineErrorKeepsItsMessage() {
		String message = """
				Error {
				  message='Target page, context or browser has been closed
				Browser logs:

				<launching> /usr/bin/chromium --user-data-dir=/var/tmp/imagegen-worker-profiles-8081/session-0
				[pid=123] <gracefully close start>'
				  name='TargetClosedError'
				  stack='TargetClosedError: Target page, context or browser has been closed
				    at ...'
				}""";

		String summary = BrowserFailures.summary("the browser crashed or disconnected: " + message, PROFILES);

		assertThat(summary).startsWith("the browser crashed or disconnected: Target page, context or browser has been closed")
			.contains("[pid=123] <gracefully close start>")
			.doesNotContain("Error {", "stack=", "\n", PROFILES.toString())
			.contains("<profile-dir>/session-0");
	}

	@Test
	void aLaunchFailureKeepsItsMessageWithoutTheStack() {
		String message = """
				Error {
				  message='Failed to launch chromium because executable doesn't exist at /nonexistent/chromium
				  name='Error
				  stack='Error: Failed to launch chromium because executable doesn't exist at /nonexistent/chromium
				    at Chromium._prepareToLaunch (/tmp/playwright-java-1187/package/lib/server/browserType.js:178:15)
				}""";

		assertThat(BrowserFailures.summary(message, PROFILES))
			.isEqualTo("Failed to launch chromium because executable doesn't exist at /nonexistent/chromium");
	}

	@Test
	void aPlainMessageIsKeptOnOneLineAndBounded() {
		assertThat(BrowserFailures.summary("Executable doesn't exist\nat /x", PROFILES)).isEqualTo("Executable doesn't exist at /x");
		assertThat(BrowserFailures.summary("x".repeat(2000), PROFILES)).hasSize(BrowserFailures.MAX_LENGTH + 1);
		assertThat(BrowserFailures.summary(null, PROFILES)).isEqualTo("unknown failure");
	}

}

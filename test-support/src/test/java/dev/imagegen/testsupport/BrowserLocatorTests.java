package dev.imagegen.testsupport;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * The order in which the browser tests find a Chromium, with a fake file system and a fake download.
 */
class BrowserLocatorTests {

	private final AtomicInteger downloads = new AtomicInteger();

	private BrowserLocator locator(Map<String, String> env, String property, Set<String> executables,
			Optional<Path> download) {
		return new BrowserLocator(env, property, (path) -> executables.contains(path.toString()), () -> {
			this.downloads.incrementAndGet();
			return download;
		});
	}

	@Test
	void environmentVariableComesFirst() {
		BrowserLocator.Found found = locator(Map.of("BROWSER_EXECUTABLE_PATH", "/opt/chrome/chrome"),
				"/other/chromium", Set.of("/opt/chrome/chrome", "/usr/bin/chromium", "/other/chromium"),
				Optional.empty())
			.locate();
		assertThat(found.path()).isEqualTo(Paths.get("/opt/chrome/chrome"));
		assertThat(found.source()).isEqualTo("BROWSER_EXECUTABLE_PATH");
		assertThat(this.downloads).hasValue(0);
	}

	@Test
	void systemPropertyComesBeforeTheSystemBrowser() {
		BrowserLocator.Found found = locator(Map.of(), "/other/chromium",
				Set.of("/usr/bin/chromium", "/other/chromium"), Optional.empty())
			.locate();
		assertThat(found.path()).isEqualTo(Paths.get("/other/chromium"));
	}

	@Test
	void aNamedBrowserThatIsMissingFailsInsteadOfFallingBack() {
		assertThatIllegalStateException()
			.isThrownBy(() -> locator(Map.of("BROWSER_EXECUTABLE_PATH", "/nope/chrome"), null,
					Set.of("/usr/bin/chromium"), Optional.empty())
				.locate())
			.withMessageContaining("BROWSER_EXECUTABLE_PATH=/nope/chrome is not an executable file");
	}

	@Test
	void debianChromiumBeforeChromeAndBeforePath() {
		BrowserLocator.Found found = locator(Map.of("PATH", "/home/me/bin"), null,
				Set.of("/usr/bin/google-chrome", "/usr/bin/chromium", "/home/me/bin/chromium"), Optional.empty())
			.locate();
		assertThat(found.path()).isEqualTo(Paths.get("/usr/bin/chromium"));
		assertThat(found.source()).isEqualTo("system Chromium");
	}

	@Test
	void fedoraAndMacOsPlacesAreKnown() {
		assertThat(locator(Map.of(), null, Set.of("/usr/lib64/chromium-browser/chromium-browser"), Optional.empty())
			.locate()
			.path()).isEqualTo(Paths.get("/usr/lib64/chromium-browser/chromium-browser"));
		assertThat(locator(Map.of(), null, Set.of("/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"),
				Optional.empty())
			.locate()
			.path()).isEqualTo(Paths.get("/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"));
	}

	@Test
	void aBrowserOnThePathIsFound() {
		BrowserLocator.Found found = locator(Map.of("PATH", "/nix/bin:/home/me/bin"), null,
				Set.of("/home/me/bin/google-chrome"), Optional.empty())
			.locate();
		assertThat(found.path()).isEqualTo(Paths.get("/home/me/bin/google-chrome"));
		assertThat(this.downloads).hasValue(0);
	}

	@Test
	void playwrightsOwnChromiumWhenTheMachineHasNone() {
		Path downloaded = Paths.get("/root/.cache/ms-playwright/chromium-1200/chrome-linux/chrome");
		BrowserLocator.Found found = locator(Map.of("PATH", "/usr/bin"), null, Set.of(), Optional.of(downloaded))
			.locate();
		assertThat(found.path()).isEqualTo(downloaded);
		assertThat(found.source()).isEqualTo("Playwright's own Chromium");
		assertThat(this.downloads).hasValue(1);
	}

	@Test
	void noBrowserAtAllFailsWithTheInstallCommand() {
		assertThatIllegalStateException()
			.isThrownBy(() -> locator(Map.of("PATH", "/usr/bin"), null, Set.of(), Optional.empty()).locate())
			.withMessageContaining("apt-get install -y chromium")
			.withMessageContaining("BROWSER_EXECUTABLE_PATH");
	}

}

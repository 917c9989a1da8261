package dev.imagegen.testsupport;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Playwright;
import com.microsoft.playwright.PlaywrightException;
import com.microsoft.playwright.impl.driver.Driver;

/**
 * The Chromium every browser test of the build drives, found once per JVM (see {@link BrowserLocator} for the
 * order). A machine with no browser and no internet fails the tests with one message naming the install
 * command: browser tests are never skipped.
 */
public final class TestBrowser {

	/** Chromium flags for root in a container on a closed network (see docs/architecture.md, "Playwright"). */
	public static final List<String> CHROMIUM_ARGS = List.of("--no-sandbox", "--disable-gpu",
			"--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update",
			"--disable-sync", "--no-first-run", "--disable-quic");

	/** Enough for a slow link to fetch Chromium (~170 MB); a closed network fails within seconds. */
	private static final long DOWNLOAD_TIMEOUT_MINUTES = 15;

	private static Path executable;

	/** Remembered so that every later browser test fails at once with the same message, without a new download try. */
	private static IllegalStateException unavailable;

	private TestBrowser() {
	}

	/**
	 * @return the Chromium executable for this build's tests
	 * @throws IllegalStateException when none can be had, with the message to act on
	 */
	public static synchronized Path executable() {
		if (unavailable != null) {
			throw unavailable;
		}
		if (executable == null) {
			try {
				BrowserLocator.Found found = new BrowserLocator(System.getenv(),
						System.getProperty("test.browser.executable"), Files::isExecutable, TestBrowser::playwrightOwn)
					.locate();
				System.err.println("[test-support] browser tests use " + found.source() + " at " + found.path());
				executable = found.path();
			}
			catch (IllegalStateException ex) {
				unavailable = ex;
				throw ex;
			}
		}
		return executable;
	}

	/**
	 * A Playwright driver that never downloads anything itself (the browser is already resolved).
	 * @return a new Playwright; the caller closes it
	 */
	public static Playwright createPlaywright() {
		return Playwright.create(new Playwright.CreateOptions().setEnv(skipDownload()));
	}

	/**
	 * Launches the test Chromium headless.
	 * @param playwright the caller's Playwright (owned by the calling thread)
	 * @return the browser; the caller closes it
	 */
	public static Browser launch(Playwright playwright) {
		return playwright.chromium()
			.launch(new BrowserType.LaunchOptions().setExecutablePath(executable())
				.setHeadless(true)
				.setArgs(CHROMIUM_ARGS));
	}

	private static Map<String, String> skipDownload() {
		Map<String, String> env = new HashMap<>();
		env.put("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
		return env;
	}

	/** Playwright's own Chromium: the one already in its cache, else a download through its driver. */
	private static Optional<Path> playwrightOwn() {
		Optional<Path> cached = cachedPlaywrightChromium();
		if (cached.isPresent()) {
			return cached;
		}
		System.err.println("[test-support] no system Chromium: asking Playwright to download its own");
		try {
			Driver driver = Driver.ensureDriverInstalled(skipDownload(), false);
			ProcessBuilder install = driver.createProcessBuilder();
			install.command().addAll(List.of("install", "chromium"));
			install.redirectErrorStream(true);
			Process process = install.start();
			try (BufferedReader output = new BufferedReader(
					new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
				output.lines().forEach((line) -> System.err.println("[playwright install] " + line));
			}
			if (!process.waitFor(DOWNLOAD_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
				process.destroyForcibly();
				return Optional.empty();
			}
			return (process.exitValue() == 0) ? cachedPlaywrightChromium() : Optional.empty();
		}
		catch (IOException | RuntimeException ex) {
			System.err.println("[test-support] Playwright's download failed: " + ex);
			return Optional.empty();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return Optional.empty();
		}
	}

	private static Optional<Path> cachedPlaywrightChromium() {
		try (Playwright playwright = createPlaywright()) {
			Path path = Paths.get(playwright.chromium().executablePath());
			return Files.isExecutable(path) ? Optional.of(path) : Optional.empty();
		}
		catch (PlaywrightException ex) {
			return Optional.empty();
		}
	}

}

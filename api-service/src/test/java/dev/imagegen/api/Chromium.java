package dev.imagegen.api;

import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;

/**
 * The Debian Chromium the browser tests drive, launched through Playwright without downloading a browser.
 * Fails (never skips) when the browser is missing.
 */
final class Chromium {

	private Chromium() {
	}

	/**
	 * Starts Playwright's driver.
	 * @return the driver; close it when done
	 */
	static Playwright playwright() {
		return Playwright.create(new Playwright.CreateOptions().setEnv(Map.of("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")));
	}

	/**
	 * Launches headless Chromium ({@code -Dtest.browser.executable}, default {@code /usr/bin/chromium}).
	 * @param playwright the driver
	 * @return the browser
	 */
	static Browser launch(Playwright playwright) {
		return playwright.chromium()
			.launch(new BrowserType.LaunchOptions()
				.setExecutablePath(Paths.get(System.getProperty("test.browser.executable", "/usr/bin/chromium")))
				.setHeadless(true)
				.setArgs(List.of("--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
						"--disable-background-networking", "--disable-component-update", "--disable-sync",
						"--no-first-run", "--disable-quic")));
	}

	/**
	 * Collects what a page reports as wrong: console errors and warnings (Content-Security-Policy violations
	 * among them), uncaught exceptions, and failed loads, except the {@code /generate} answers a test
	 * provokes on purpose.
	 * @param page the page to watch
	 * @param generateUrl the URL prefix of {@code /generate}
	 * @return the live list of complaints
	 */
	static List<String> complaints(Page page, String generateUrl) {
		List<String> complaints = new CopyOnWriteArrayList<>();
		page.onConsoleMessage((message) -> {
			boolean provoked = message.text().startsWith("Failed to load resource")
					&& message.location() != null && message.location().startsWith(generateUrl);
			if ((message.type().equals("error") || message.type().equals("warning")) && !provoked) {
				complaints.add(message.type() + ": " + message.text() + " at " + message.location());
			}
		});
		page.onPageError((error) -> complaints.add("page error: " + error));
		page.onResponse((response) -> {
			if (response.status() >= 400 && !response.url().startsWith(generateUrl)) {
				complaints.add(response.status() + " " + response.url());
			}
		});
		return complaints;
	}

}

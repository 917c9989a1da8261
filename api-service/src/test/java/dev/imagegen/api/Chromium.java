package dev.imagegen.api;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;

import dev.imagegen.testsupport.TestBrowser;

/**
 * The Chromium the page tests drive, found by {@link TestBrowser}, and what a page complains about.
 * Fails (never skips) when no browser can be had.
 */
final class Chromium {

	private Chromium() {
	}

	/**
	 * Starts Playwright's driver.
	 * @return the driver; close it when done
	 */
	static Playwright playwright() {
		return TestBrowser.createPlaywright();
	}

	/**
	 * Launches the build's headless Chromium (see {@link TestBrowser} for how it is found).
	 * @param playwright the driver
	 * @return the browser
	 */
	static Browser launch(Playwright playwright) {
		return TestBrowser.launch(playwright);
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

package dev.imagegen.api;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import com.microsoft.playwright.assertions.PlaywrightAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * The page's prompt fields follow {@code MAX_PROMPT_LENGTH}, here set to a value other than the default:
 * the limit is the server's, never one written into the page. No worker is needed (none is configured).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = "MAX_PROMPT_LENGTH=1234")
class PromptLimitBrowserTests {

	private static Playwright playwright;

	private static Browser browser;

	@LocalServerPort
	int port;

	@BeforeAll
	static void launchBrowser() {
		playwright = Chromium.playwright();
		browser = Chromium.launch(playwright);
	}

	@AfterAll
	static void closeBrowser() {
		if (browser != null) {
			browser.close();
		}
		if (playwright != null) {
			playwright.close();
		}
	}

	@Test
	void thePromptFieldsTakeTheConfiguredLimit() {
		try (Page page = browser.newPage()) {
			page.navigate("http://127.0.0.1:" + this.port + "/");
			PlaywrightAssertions.assertThat(page.locator("#prompt")).hasAttribute("maxlength", "1234");
			PlaywrightAssertions.assertThat(page.locator("#negative_prompt")).hasAttribute("maxlength", "1234");
			// The browser itself enforces it: typing past the limit keeps the first 1234 characters.
			page.fill("#prompt", "a".repeat(1300));
			PlaywrightAssertions.assertThat(page.locator("#prompt")).hasValue("a".repeat(1234));
		}
	}

}

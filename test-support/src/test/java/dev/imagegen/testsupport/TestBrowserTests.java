package dev.imagegen.testsupport;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The browser this machine's tests will use really starts and renders a page.
 */
class TestBrowserTests {

	@Test
	void theFoundBrowserRendersAPage() {
		assertThat(TestBrowser.executable()).isExecutable();
		try (Playwright playwright = TestBrowser.createPlaywright(); Browser browser = TestBrowser.launch(playwright)) {
			Page page = browser.newPage();
			page.setContent("<p id=x>ready</p>");
			assertThat(page.textContent("#x")).isEqualTo("ready");
		}
	}

}

package dev.imagegen.api;

import java.nio.file.Paths;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import com.microsoft.playwright.Response;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.imagegen.testsupport.TestBrowser;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Real Chromium against the running API: an {@code <img>} pointing at an invalid {@code /generate} URL
 * shows the error picture, and the page at {@code /} generates an image and shows problems. Fails (never
 * skips) when the browser is missing.
 */
class BrowserTests extends SharedContextTests {

	private static Playwright playwright;

	private static Browser browser;

	private Page page;

	@BeforeAll
	static void launchBrowser() {
		playwright = TestBrowser.createPlaywright();
		browser = TestBrowser.launch(playwright);
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

	@BeforeEach
	void openPage() {
		this.page = browser.newPage();
	}

	@AfterEach
	void closePage() {
		this.page.close();
	}

	private String base() {
		return "http://127.0.0.1:" + this.port;
	}

	@Test
	void anImgTagPointingAtAnInvalidUrlRendersTheErrorPicture() {
		String src = base() + "/generate?prompt=&seed=banana";
		this.page.setContent("<!DOCTYPE html><img id='picture'>");
		Response response = this.page.waitForResponse((candidate) -> candidate.url().startsWith(base() + "/generate"),
				// The URL is passed as data, never spliced into script source.
				() -> this.page.evaluate("src => { document.getElementById('picture').src = src; }", src));
		assertThat(response.status()).isEqualTo(400);
		assertThat(response.headerValue("content-type")).isEqualTo("image/png");
		this.page.waitForFunction("() => document.getElementById('picture').complete");
		Object width = this.page.evaluate("() => document.getElementById('picture').naturalWidth");
		Object height = this.page.evaluate("() => document.getElementById('picture').naturalHeight");
		assertThat(((Number) width).intValue()).isEqualTo(640);
		assertThat(((Number) height).intValue()).isEqualTo(360);
		this.page.screenshot(new Page.ScreenshotOptions().setPath(Paths.get("target", "img-error.png")));
	}

	@Test
	void thePageGeneratesAnImageAndShowsTheSeedAndAShareableUrl() {
		worker().stubFor(post(urlEqualTo("/generate")).willReturn(aResponse().withStatus(200)
			.withHeader("Content-Type", "image/png")
			.withHeader("X-Seed", "424242")
			.withBody(ImageFixtures.png())
			.withFixedDelay(300)));
		this.page.navigate(base() + "/");
		this.page.fill("#prompt", "a red fox & <b>friends</b>");
		this.page.selectOption("#shape", "portrait");
		this.page.click("#submit");
		this.page.waitForFunction("() => { const img = document.getElementById('image');"
				+ " return !document.getElementById('result').hidden && img.complete && img.naturalWidth > 0; }");
		assertThat(this.page.textContent("#seed-used")).isEqualTo("424242");
		String share = this.page.inputValue("#share-url");
		assertThat(share).startsWith(base() + "/generate?")
			.contains("prompt=a+red+fox+%26+%3Cb%3Efriends%3C%2Fb%3E")
			.contains("seed=424242")
			.contains("shape=portrait");
		assertThat(this.page.isHidden("#error")).isTrue();
		assertThat(generateCalls()).hasSize(1);
		this.page.screenshot(new Page.ScreenshotOptions().setPath(Paths.get("target", "index-success.png")));
	}

	@Test
	void thePageShowsTheProblemWhenTheInputIsInvalid() {
		this.page.navigate(base() + "/");
		this.page.fill("#prompt", "   ");
		this.page.fill("#guidance_scale", "99");
		this.page.click("#submit");
		this.page.waitForSelector("#error:not([hidden])");
		assertThat(this.page.textContent("#error-title")).contains("HTTP 400");
		assertThat(this.page.textContent("#error-list")).contains("prompt: must not be blank")
			.contains("guidance_scale: must be between 1.0 and 30.0");
		assertThat(this.page.isHidden("#result")).isTrue();
		assertThat(generateCalls()).isEmpty();
	}

}

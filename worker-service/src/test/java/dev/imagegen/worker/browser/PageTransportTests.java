package dev.imagegen.worker.browser;

import java.time.Duration;
import java.util.Map;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import dev.imagegen.testsupport.TestBrowser;
import dev.imagegen.worker.support.Emulator;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The in-page transport's download against the emulator in real headless Chromium: the bytes arrive intact
 * through {@code Uint8Array.toBase64} and through the fallback for a browser without it.
 */
class PageTransportTests {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private static Playwright playwright;

	private static Browser browser;

	private Page page;

	private PageTransport transport;

	private String base;

	@BeforeAll
	static void launch() {
		playwright = TestBrowser.createPlaywright();
		browser = TestBrowser.launch(playwright);
	}

	@AfterAll
	static void close() {
		if (browser != null) {
			browser.close();
		}
		if (playwright != null) {
			playwright.close();
		}
	}

	@BeforeEach
	void openPage() {
		Emulator.reset();
		Emulator.config(Map.of("generateLatencyMs", 0));
		this.base = Emulator.get().baseUrl();
		this.page = browser.newPage();
		this.page.navigate(this.base + "/embed");
		this.transport = new PageTransport(this.page);
	}

	@AfterEach
	void closePage() {
		this.page.close();
		Emulator.reset();
	}

	@Test
	void anImageArrivesIntactThroughToBase64() {
		assertThat(this.page.evaluate("() => typeof new Uint8Array(1).toBase64")).as("the test browser's toBase64")
			.isEqualTo("function");

		assertDownloadIntact();
	}

	@Test
	void anImageArrivesIntactInABrowserWithoutToBase64() {
		this.page.evaluate("() => { delete Uint8Array.prototype.toBase64; }");
		assertThat(this.page.evaluate("() => typeof new Uint8Array(1).toBase64")).isEqualTo("undefined");

		assertDownloadIntact();
	}

	private void assertDownloadIntact() {
		JsonNode success = generate();

		UpstreamResponse download = this.transport.send("GET", this.base + success.get("imageDownloadUrl").asString(), null,
				true, Duration.ofSeconds(10));

		assertThat(download.httpStatus()).isEqualTo(200);
		assertThat(download.contentType()).startsWith("image/jpeg");
		assertThat(download.bytes()).hasSizeGreaterThan(1000);
		assertThat(ImageDownload.sha256(download.bytes())).isEqualTo(success.get("imageId").asString());
	}

	private JsonNode generate() {
		UpstreamResponse verified = this.transport.send("GET", this.base + "/api/verifyUser?thread=0&__cacheBust=0.5", null,
				false, Duration.ofSeconds(10));
		String key = JSON.readTree(verified.text()).get("userKey").asString();
		String requestId = UpstreamCalls.randomFloat();
		String url = this.base + "/api/generate?userKey=" + UpstreamCalls.encode(key) + "&requestId=" + requestId
				+ "&adAccessCode=&__cacheBust=0.25";
		String body = JSON.writeValueAsString(Map.of("prompt", "a fox in the snow", "negativePrompt", "", "seed", 5,
				"resolution", "512x512", "guidanceScale", 7, "channel", "ai-text-to-image-generator", "subChannel", "public",
				"userKey", key, "adAccessCode", "", "requestId", requestId));
		JsonNode answer = JSON.readTree(this.transport.send("POST", url, body, false, Duration.ofSeconds(10)).text());
		assertThat(answer.get("status").asString()).isEqualTo("success");
		return answer;
	}

}

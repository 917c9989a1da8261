package dev.imagegen.worker.browser;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
 * The in-page transport against the emulator in real headless Chromium: the generate call that downloads its
 * image in the same evaluation (docs/perchance-protocol.md, section 3), and when it must not.
 */
class PageTransportTests {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private static Playwright playwright;

	private static Browser browser;

	private Page page;

	private PageTransport transport;

	private String base;

	private String key;

	private final List<String> events = new ArrayList<>();

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
		UpstreamResponse verified = this.transport.send("GET", this.base + "/api/verifyUser?thread=0&__cacheBust=0.5", null,
				false, Duration.ofSeconds(10));
		this.key = JSON.readTree(verified.text()).get("userKey").asString();
	}

	@AfterEach
	void closePage() {
		this.page.close();
		Emulator.reset();
	}

	@Test
	void aSuccessfulGenerateCallDownloadsItsImageInTheSameCall() {
		Transport.Generated generated = generate(prefetch(Duration.ofSeconds(10)));

		JsonNode answer = JSON.readTree(generated.response().text());
		assertThat(answer.get("status").asString()).isEqualTo("success");
		assertThat(generated.downloadPath()).isEqualTo(answer.get("imageDownloadUrl").asString());
		assertThat(generated.download().httpStatus()).isEqualTo(200);
		assertThat(generated.download().contentType()).startsWith("image/jpeg");
		assertThat(ImageDownload.sha256(generated.download().bytes())).isEqualTo(answer.get("imageId").asString());
		assertThat(this.events).containsExactly("download started");
		assertThat(Emulator.log("/api/downloadTemporaryImageViaProxy")).hasSize(1);
	}

	@Test
	void aGenerateCallThatIsNoSuccessDownloadsNothing() {
		Emulator.fault(Map.of("endpoint", "generate", "kind", "status", "status", "gen_failure"));

		Transport.Generated generated = generate(prefetch(Duration.ofSeconds(10)));

		assertThat(generated.response().text()).contains("gen_failure");
		assertThat(generated.download()).isNull();
		assertThat(generated.downloadPath()).isNull();
		assertThat(this.events).isEmpty();
		assertThat(Emulator.log("/api/downloadTemporaryImageViaProxy")).isEmpty();
	}

	@Test
	void noDownloadStartsOnceTheBudgetIsSpent() {
		// The generate call takes longer than the 1 ms the job had left when it started.
		Emulator.config(Map.of("generateLatencyMs", 50));

		Transport.Generated generated = generate(prefetch(Duration.ofMillis(1)));

		assertThat(generated.response().httpStatus()).isEqualTo(200);
		assertThat(generated.download()).isNull();
		assertThat(Emulator.log("/api/downloadTemporaryImageViaProxy")).isEmpty();
	}

	@Test
	void aDownloadThatOutlivesItsStepTimeoutIsReportedAsATimeout() {
		Emulator.fault(Map.of("endpoint", "download", "kind", "delay", "delayMs", 5000));

		Transport.Generated generated = generate(new Transport.Prefetch(this.base, Duration.ofMillis(200),
				Duration.ofSeconds(10), () -> this.events.add("download started")));

		assertThat(generated.response().httpStatus()).isEqualTo(200);
		assertThat(generated.download().answered()).isFalse();
		assertThat(generated.download().timedOut()).isTrue();
		assertThat(this.events).containsExactly("download started");
	}

	@Test
	void aFailedDownloadKeepsItsStatusAndBody() {
		Emulator.fault(Map.of("endpoint", "download", "kind", "http-429"));

		Transport.Generated generated = generate(prefetch(Duration.ofSeconds(10)));

		assertThat(generated.download().httpStatus()).isEqualTo(429);
		assertThat(generated.download().bytes()).isNull();
	}

	private Transport.Prefetch prefetch(Duration budget) {
		return new Transport.Prefetch(this.base, Duration.ofSeconds(10), budget, () -> this.events.add("download started"));
	}

	private Transport.Generated generate(Transport.Prefetch prefetch) {
		String requestId = UpstreamCalls.randomFloat();
		String url = this.base + "/api/generate?userKey=" + UpstreamCalls.encode(this.key) + "&requestId=" + requestId
				+ "&adAccessCode=&__cacheBust=0.25";
		String body = JSON.writeValueAsString(Map.of("prompt", "a fox\"; alert(1); //", "negativePrompt", "", "seed", 5,
				"resolution", "512x512", "guidanceScale", 7, "channel", "ai-text-to-image-generator", "subChannel", "public",
				"userKey", this.key, "adAccessCode", "", "requestId", requestId));
		return this.transport.generate(url, body, Duration.ofSeconds(10), null, prefetch);
	}

}

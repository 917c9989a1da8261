package dev.imagegen.api;

import java.util.List;
import java.util.regex.Pattern;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import com.microsoft.playwright.assertions.PlaywrightAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The page's use of jobs in real Chromium, against a {@link FakeWorker} the test drives: the queue position and
 * phases appear as the worker reports them, the image arrives with its share link and goes into the history,
 * Cancel withdraws a job, and a failed job shows its problem instead of the old image.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
		properties = { "WORKER_TOKEN=test-token", "WORKER_TIMEOUT=30s", "IMAGE_CACHE_SIZE=0" })
class JobsBrowserTests {

	static final FakeWorker WORKER = FakeWorker.start();

	private static Playwright playwright;

	private static Browser browser;

	@LocalServerPort
	int port;

	private Page page;

	private List<String> complaints;

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		registry.add("PERCHANCE_WORKER_URL", WORKER::baseUrl);
	}

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
		WORKER.stop();
	}

	@BeforeEach
	void openPage() {
		WORKER.reset();
		this.page = browser.newPage();
		this.complaints = Chromium.complaints(this.page, base() + "/jobs");
		this.page.navigate(base() + "/");
	}

	@AfterEach
	void closePage() {
		this.page.close();
		WORKER.reset();
	}

	private String base() {
		return "http://127.0.0.1:" + this.port;
	}

	private void expectStatus(String text) {
		PlaywrightAssertions.assertThat(this.page.locator("#status")).containsText(text);
	}

	@Test
	void theQueuePositionAndPhasesAppearThenTheImageWithItsLinkAndHistory() {
		this.page.fill("#prompt", "a fox <script>alert(1)</script>");
		this.page.click("#submit");
		FakeWorker.Call call = WORKER.nextCall();
		call.progress("queued", 2, null);
		expectStatus("Queued (2 ahead)");
		PlaywrightAssertions.assertThat(this.page.locator("#status")).containsText(Pattern.compile("\\d+ s"));
		PlaywrightAssertions.assertThat(this.page.locator("#cancel")).isVisible();
		call.progress("queued", 0, null);
		expectStatus("Queued (next)");
		call.progress("generating", null, 4);
		expectStatus("Generating (upstream queue: 4)");
		call.progress("downloading", null, null);
		expectStatus("Downloading");
		call.answerImage(777);
		PlaywrightAssertions.assertThat(this.page.locator("#seed-used")).hasText("777");
		this.page.waitForFunction("() => { const img = document.getElementById('image');"
				+ " return !document.getElementById('result').hidden && img.complete && img.naturalWidth > 0; }");
		expectStatus("Done.");
		PlaywrightAssertions.assertThat(this.page.locator("#cancel")).isHidden();
		String share = this.page.inputValue("#share-url");
		assertThat(share).startsWith(base() + "/generate?").contains("seed=777").contains("prompt=a+fox+%3Cscript%3E");
		PlaywrightAssertions.assertThat(this.page.locator("#history li")).hasCount(1);
		PlaywrightAssertions.assertThat(this.page.locator("#history a")).hasAttribute("href", share);
		PlaywrightAssertions.assertThat(this.page.locator("#history a")).containsText("<script>alert(1)</script>");
		// The history outlives a reload: it is in this browser's storage.
		this.page.reload();
		PlaywrightAssertions.assertThat(this.page.locator("#history li")).hasCount(1);
		assertThat(this.complaints).isEmpty();
	}

	@Test
	void cancelWithdrawsTheJobAndANewRequestClearsTheOldImage() {
		this.page.fill("#prompt", "first");
		this.page.click("#submit");
		WORKER.nextCall().answerImage(1);
		PlaywrightAssertions.assertThat(this.page.locator("#seed-used")).hasText("1");
		this.page.fill("#prompt", "second");
		this.page.click("#submit");
		FakeWorker.Call call = WORKER.nextCall();
		// The old image is gone as soon as the new request starts.
		PlaywrightAssertions.assertThat(this.page.locator("#result")).isHidden();
		call.progress("generating", null, null);
		expectStatus("Generating");
		this.page.click("#cancel");
		expectStatus("Cancelled.");
		PlaywrightAssertions.assertThat(this.page.locator("#cancel")).isHidden();
		PlaywrightAssertions.assertThat(this.page.locator("#submit")).isEnabled();
		call.answerImage(2);
		PlaywrightAssertions.assertThat(this.page.locator("#result")).isHidden();
		PlaywrightAssertions.assertThat(this.page.locator("#error")).isHidden();
		assertThat(this.complaints).isEmpty();
	}

	@Test
	void aFailedJobShowsItsProblemInsteadOfTheImage() {
		this.page.fill("#prompt", "good");
		this.page.click("#submit");
		WORKER.nextCall().answerImage(5);
		PlaywrightAssertions.assertThat(this.page.locator("#seed-used")).hasText("5");
		this.page.fill("#prompt", "bad");
		this.page.click("#submit");
		WORKER.nextCall().answerProblem(503, "upstream-rate-limited", "9");
		PlaywrightAssertions.assertThat(this.page.locator("#error-title"))
			.hasText("Worker says upstream-rate-limited (HTTP 503)");
		PlaywrightAssertions.assertThat(this.page.locator("#error-detail")).hasText("The fake worker answered upstream-rate-limited.");
		PlaywrightAssertions.assertThat(this.page.locator("#result")).isHidden();
		PlaywrightAssertions.assertThat(this.page.locator("#image")).not().hasAttribute("src", Pattern.compile(".*"));
		PlaywrightAssertions.assertThat(this.page.locator("#submit")).isEnabled();
		assertThat(this.complaints).isEmpty();
	}

}

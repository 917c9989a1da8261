package dev.imagegen.api;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.ConsoleMessage;
import com.microsoft.playwright.Download;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import com.microsoft.playwright.Response;
import com.microsoft.playwright.assertions.PlaywrightAssertions;
import com.microsoft.playwright.options.BoundingBox;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Real Chromium against the running API: an {@code <img>} pointing at an invalid {@code /generate} URL
 * shows the error picture, and the page at {@code /}, at desktop and phone widths, generates an image,
 * offers its seed, link and download, replaces it by an error shown once, and breaks none of its own
 * Content-Security-Policy. Fails (never skips) when the browser is missing.
 */
class BrowserTests extends SharedContextTests {

	/** The policy the page must carry; spelled out here so that a loosened policy fails the test. */
	static final String PAGE_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; "
			+ "img-src 'self' blob: data:; connect-src 'self'; form-action 'self'; base-uri 'none'; "
			+ "frame-ancestors 'none'";

	private static final Pattern FILE_NAME = Pattern.compile("filename=\"([^\"]+)\"");

	private static Playwright playwright;

	private static Browser browser;

	private final JsonMapper json = JsonMapper.builder().build();

	private Page page;

	private List<String> complaints;

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

	private void openPage(int width, int height) {
		boolean phone = width < 600;
		this.page = browser.newPage(new Browser.NewPageOptions().setViewportSize(width, height)
			.setIsMobile(phone)
			.setHasTouch(phone)
			.setDeviceScaleFactor(phone ? 3 : 1)
			.setAcceptDownloads(true));
		// The page's own failures on purpose are job answers (a 400 on POST /jobs, a job's problem on its image).
		this.complaints = Chromium.complaints(this.page, base() + "/jobs");
	}

	@AfterEach
	void closePage() {
		if (this.page != null) {
			this.page.close();
		}
	}

	private String base() {
		return "http://127.0.0.1:" + this.port;
	}

	private static void workerAnswersImage(String seed) {
		worker().resetAll();
		worker().stubFor(post(urlEqualTo("/generate")).willReturn(aResponse().withStatus(200)
			.withHeader("Content-Type", "image/png")
			.withHeader("X-Seed", seed)
			.withBody(ImageFixtures.png())
			.withFixedDelay(200)));
	}

	private Response navigateToThePage() {
		Response response = this.page.navigate(base() + "/");
		assertThat(response.status()).isEqualTo(200);
		return response;
	}

	/** Submits the form; the answer that decides what the page shows: the job's image, or a refused POST /jobs. */
	private Response generate() {
		return this.page.waitForResponse((candidate) -> candidate.url().matches(Pattern.quote(base()) + "/jobs/[^/]+/image")
				|| (candidate.url().equals(base() + "/jobs") && candidate.status() != 202), () -> this.page.click("#submit"));
	}

	private void expectImage(String seed) {
		this.page.waitForFunction("() => { const img = document.getElementById('image');"
				+ " return !document.getElementById('result').hidden && img.complete && img.naturalWidth > 0; }");
		PlaywrightAssertions.assertThat(this.page.locator("#seed-used")).hasText(seed);
		PlaywrightAssertions.assertThat(this.page.locator("#error")).isHidden();
	}

	/** Occurrences outside the history of recent images, which rightly keeps earlier seeds. */
	private int occurrencesOnScreen(String text) {
		String visible = String.join("\n", this.page.locator("body > :not(#recent)").allInnerTexts());
		int count = 0;
		for (int at = visible.indexOf(text); at >= 0; at = visible.indexOf(text, at + text.length())) {
			count++;
		}
		return count;
	}

	private void expectErrorInsteadOfTheImage() {
		PlaywrightAssertions.assertThat(this.page.locator("#error")).isVisible();
		PlaywrightAssertions.assertThat(this.page.locator("#result")).isHidden();
		PlaywrightAssertions.assertThat(this.page.locator("#image")).not().hasAttribute("src", Pattern.compile(".*"));
		assertThat(occurrencesOnScreen("424242")).isZero();
	}

	@Test
	void anImgTagPointingAtAnInvalidUrlRendersTheErrorPicture() {
		openPage(1280, 800);
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

	@ParameterizedTest(name = "{0}x{1}")
	@CsvSource({ "1280, 800", "390, 844" })
	void thePageGeneratesOffersTheDownloadAndReplacesTheImageByAnErrorShownOnce(int width, int height)
			throws IOException {
		openPage(width, height);
		workerAnswersImage("424242");
		navigateToThePage();
		this.page.fill("#prompt", "a red fox & <b>friends</b>");
		this.page.selectOption("#shape", "portrait");
		Response image = generate();
		expectImage("424242");
		String share = this.page.inputValue("#share-url");
		assertThat(share).startsWith(base() + "/generate?")
			.contains("prompt=a+red+fox+%26+%3Cb%3Efriends%3C%2Fb%3E")
			.contains("seed=424242")
			.contains("shape=portrait");
		assertThat(generateCalls()).hasSize(1);

		Matcher offered = FILE_NAME.matcher(image.headerValue("content-disposition"));
		assertThat(offered.find()).isTrue();
		Download download = this.page.waitForDownload(() -> this.page.click("#download"));
		assertThat(download.suggestedFilename()).isEqualTo(offered.group(1)).endsWith("-424242.png");
		assertThat(Files.readAllBytes(download.path())).isEqualTo(ImageFixtures.png());
		this.page.screenshot(new Page.ScreenshotOptions().setPath(Paths.get("target", "page-" + width + "-image.png"))
			.setFullPage(true));

		// The worker fails: the old image, seed and link go, the problem is shown once.
		worker().resetAll();
		worker().stubFor(post(urlEqualTo("/generate")).willReturn(aResponse().withStatus(503)
			.withHeader("Content-Type", "application/problem+json")
			.withHeader("Retry-After", "7")
			.withBody("{\"type\":\"https://imagegen.dev/problems/upstream-unavailable\",\"title\":\"Upstream unavailable\","
					+ "\"status\":503,\"detail\":\"Perchance answers nothing right now\"}")));
		Response failure = generate();
		assertThat(failure.status()).isEqualTo(503);
		expectErrorInsteadOfTheImage();
		JsonNode problem = this.json.readTree(failure.body());
		PlaywrightAssertions.assertThat(this.page.locator("#error-title"))
			.hasText(problem.get("title").stringValue() + " (HTTP 503)");
		assertThat(occurrencesOnScreen(problem.get("title").stringValue())).isEqualTo(1);
		if (!problem.path("detail").stringValue("").isEmpty()) {
			assertThat(occurrencesOnScreen(problem.get("detail").stringValue())).isEqualTo(1);
		}

		// A good answer replaces the error.
		workerAnswersImage("424242");
		generate();
		expectImage("424242");

		// Bad input: every message once, under the title, and the image gone again.
		this.page.fill("#prompt", "   ");
		this.page.fill("#guidance_scale", "99");
		Response invalid = generate();
		assertThat(invalid.status()).isEqualTo(400);
		expectErrorInsteadOfTheImage();
		PlaywrightAssertions.assertThat(this.page.locator("#error-title")).containsText("HTTP 400");
		PlaywrightAssertions.assertThat(this.page.locator("#error-list li"))
			.hasText(new String[] { "prompt: must not be blank", "guidance_scale: must be between 1.0 and 30.0" });
		assertThat(occurrencesOnScreen("must not be blank")).isEqualTo(1);
		assertThat(occurrencesOnScreen("must be between 1.0 and 30.0")).isEqualTo(1);
		this.page.screenshot(new Page.ScreenshotOptions().setPath(Paths.get("target", "page-" + width + "-error.png"))
			.setFullPage(true));
		assertThat(this.complaints).isEmpty();
	}

	@Test
	void atPhoneWidthTheFormHasOneFieldPerRowAndNoHorizontalScroll() {
		openPage(390, 844);
		navigateToThePage();
		Number scrollWidth = (Number) this.page.evaluate("() => document.documentElement.scrollWidth");
		Number innerWidth = (Number) this.page.evaluate("() => window.innerWidth");
		assertThat(innerWidth.intValue()).isEqualTo(390);
		assertThat(scrollWidth.intValue()).isLessThanOrEqualTo(innerWidth.intValue());
		Locator fields = this.page.locator("#form > label, #form > button");
		double previousBottom = 0;
		for (int i = 0; i < fields.count(); i++) {
			BoundingBox box = fields.nth(i).boundingBox();
			assertThat(box.x).as("field %d left edge", i).isGreaterThanOrEqualTo(0);
			assertThat(box.x + box.width).as("field %d right edge", i).isLessThanOrEqualTo(390);
			assertThat(box.y).as("field %d starts below the previous one", i).isGreaterThanOrEqualTo(previousBottom);
			previousBottom = box.y + box.height;
		}
		this.page.screenshot(new Page.ScreenshotOptions().setPath(Paths.get("target", "page-390-form.png")));
		assertThat(this.complaints).isEmpty();
	}

	@Test
	void atDesktopWidthTheSmallFieldsShareOneRow() {
		openPage(1280, 800);
		navigateToThePage();
		Locator small = this.page.locator("#form > label:not(.wide)");
		assertThat(small.count()).isEqualTo(4);
		// The fields are aligned on their bottom edge (their labels may wrap differently).
		BoundingBox first = small.first().boundingBox();
		for (int i = 1; i < 4; i++) {
			BoundingBox box = small.nth(i).boundingBox();
			assertThat(box.y + box.height).isCloseTo(first.y + first.height, within(1.0));
			assertThat(box.x).isGreaterThan(first.x);
		}
		assertThat(this.complaints).isEmpty();
	}

	@Test
	void thePageRunsUnderItsContentSecurityPolicyWithoutViolations() {
		openPage(1280, 800);
		Response response = navigateToThePage();
		assertThat(response.headerValue("content-security-policy")).isEqualTo(PAGE_POLICY);
		// The limit arrives from /page-config.json: once it is set, the page's own script has run.
		PlaywrightAssertions.assertThat(this.page.locator("#prompt")).hasAttribute("maxlength", "1000");
		PlaywrightAssertions.assertThat(this.page.locator("#negative_prompt")).hasAttribute("maxlength", "1000");
		assertThat((String) this.page.evaluate("() => getComputedStyle(document.getElementById('submit')).backgroundColor"))
			.as("app.css applies").isEqualTo("rgb(180, 95, 6)");
		assertThat(this.complaints).isEmpty();
	}

	@Test
	void anInlineScriptIsRefusedAndTheViolationIsSeen() {
		openPage(1280, 800);
		navigateToThePage();
		ConsoleMessage refusal = this.page.waitForConsoleMessage(
				new Page.WaitForConsoleMessageOptions().setPredicate((message) -> message.text().contains("Content Security Policy")),
				() -> this.page.evaluate("() => { const s = document.createElement('script');"
						+ " s.textContent = 'document.title = \"injected\"'; document.body.appendChild(s); }"));
		assertThat(refusal.type()).isEqualTo("error");
		assertThat(this.page.title()).isNotEqualTo("injected");
		assertThat(this.complaints).anyMatch((complaint) -> complaint.contains("Content Security Policy"));
	}

	@Test
	void theFaviconIsServedAndLinkedFromThePage() {
		openPage(1280, 800);
		navigateToThePage();
		PlaywrightAssertions.assertThat(this.page.locator("link[rel=icon][href='/favicon.svg']")).hasCount(1);
		Response ico = this.page.navigate(base() + "/favicon.ico");
		assertThat(ico.status()).isEqualTo(200);
		assertThat(ico.body()).startsWith(new byte[] { 0, 0, 1, 0 });
		Response svg = this.page.navigate(base() + "/favicon.svg");
		assertThat(svg.status()).isEqualTo(200);
		assertThat(svg.headerValue("content-type")).startsWith("image/svg+xml");
		assertThat(this.complaints).isEmpty();
	}

}

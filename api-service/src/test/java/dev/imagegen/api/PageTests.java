package dev.imagegen.api;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.http.CacheControl;
import org.springframework.http.MediaType;
import org.springframework.test.json.JsonCompareMode;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the server adds to the page at {@code /}: its Content-Security-Policy (on the HTML only), its
 * settings at {@code /page-config.json}, its favicon, and HTML that needs no inline script or style.
 * The page's behaviour in a browser is {@link BrowserTests}' subject.
 */
class PageTests extends SharedContextTests {

	@ParameterizedTest
	@ValueSource(strings = { "/", "/index.html" })
	void thePageCarriesItsContentSecurityPolicy(String path) {
		this.client.get()
			.uri(path)
			.accept(MediaType.TEXT_HTML)
			.exchange()
			.expectStatus()
			.isOk()
			.expectHeader()
			.contentTypeCompatibleWith(MediaType.TEXT_HTML)
			.expectHeader()
			.valueEquals("Content-Security-Policy", BrowserTests.PAGE_POLICY);
	}

	@ParameterizedTest
	@ValueSource(strings = { "/app.js", "/page-config.json", "/health", "/generate?prompt=" })
	void otherAnswersCarryNoPagePolicy(String path) {
		this.client.get().uri(path).exchange().expectHeader().doesNotExist("Content-Security-Policy");
	}

	@Test
	void thePageNeedsNoInlineScriptStyleOrHandler() {
		byte[] body = this.client.get().uri("/").exchange().expectBody().returnResult().getResponseBody();
		String html = new String(body, StandardCharsets.UTF_8);
		assertThat(html).contains("<script src=\"/app.js\"", "<link rel=\"stylesheet\" href=\"/app.css\">")
			.doesNotContainPattern("<script(?![^>]*\\bsrc=)")
			.doesNotContainPattern("(?i)<style")
			.doesNotContainPattern("(?i)\\sstyle=")
			.doesNotContainPattern("(?i)\\son[a-z]+=")
			.doesNotContainPattern("maxlength=");
	}

	@Test
	void pageConfigPublishesThePromptLimit() {
		this.client.get()
			.uri("/page-config.json")
			.exchange()
			.expectStatus()
			.isOk()
			.expectHeader()
			.contentTypeCompatibleWith(MediaType.APPLICATION_JSON)
			.expectHeader()
			.cacheControl(CacheControl.noCache())
			.expectBody()
			.json("{\"maxPromptLength\":1000}", JsonCompareMode.STRICT);
	}

	@ParameterizedTest
	@ValueSource(strings = { "/favicon.ico", "/favicon.svg" })
	void theFaviconIsServed(String path) {
		byte[] body = this.client.get()
			.uri(path)
			.exchange()
			.expectStatus()
			.isOk()
			.expectBody()
			.returnResult()
			.getResponseBody();
		assertThat(body).isNotEmpty();
	}

}

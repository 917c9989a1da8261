package dev.imagegen.api;

import java.net.URI;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Client input that once got a 500 or a bare status (issue 8): each is now a 4xx problem, and none of it
 * reaches the worker.
 */
class HardeningTests extends SharedContextTests {

	@AfterEach
	void nothingReachesTheWorker() {
		assertThat(generateCalls()).isEmpty();
	}

	private WebTestClient.BodyContentSpec expectProblem(WebTestClient.ResponseSpec response, int status, String type) {
		return response.expectStatus()
			.isEqualTo(status)
			.expectHeader()
			.contentType("application/problem+json")
			.expectHeader()
			.valueEquals("X-Content-Type-Options", "nosniff")
			.expectBody()
			.jsonPath("$.type")
			.isEqualTo(PROBLEMS + type)
			.jsonPath("$.status")
			.isEqualTo(status)
			.jsonPath("$.requestId")
			.isNotEmpty();
	}

	private WebTestClient.ResponseSpec postJson(String contentType, String body) {
		return this.client.post()
			.uri("/generate")
			.header(HttpHeaders.CONTENT_TYPE, contentType)
			.bodyValue(body)
			.exchange();
	}

	@ParameterizedTest(name = "{0}")
	@ValueSource(strings = { "1e400", "-1e400", "1e-400" })
	void infiniteOrUnderflowingGuidanceIsA400NamingIt(String number) {
		expectProblem(postJson("application/json", "{\"prompt\":\"a\",\"guidance_scale\":" + number + "}"), 400,
				"validation-error")
			.jsonPath("$.errors[0].parameter")
			.isEqualTo("guidance_scale");
	}

	@ParameterizedTest(name = "{0}")
	@ValueSource(strings = { "application/json, text/plain", "///", "application/", "application/json; charset=\"" })
	void unparsableContentTypeIsA415(String contentType) throws java.io.IOException {
		// Spring's clients refuse to send such a header, so it goes over a plain socket.
		String body = "{\"prompt\":\"a\"}";
		try (RawHttp raw = new RawHttp(this.port, 20_000)) {
			String response = raw.send("POST /generate HTTP/1.1\r\nHost: localhost\r\nContent-Type: " + contentType
					+ "\r\nContent-Length: " + body.length() + "\r\n\r\n" + body).readResponse();
			assertThat(response).startsWith("HTTP/1.1 415")
				.containsIgnoringCase("content-type: application/problem+json")
				.containsIgnoringCase("x-content-type-options: nosniff")
				.contains("\"type\":\"" + PROBLEMS + "unsupported-media-type\"");
		}
	}

	@ParameterizedTest(name = "{0}")
	@ValueSource(strings = { "/actuator/health/nope/x", "/actuator/health/../env", "/actuator/health/./x",
			"/actuator/health/readiness/nope/x", "/generate/../health" })
	void pathsThatNameNothingAre404(String path) {
		expectProblem(this.client.get().uri(URI.create("http://127.0.0.1:" + this.port + path)).exchange(), 404,
				"not-found");
	}

	@Test
	void nestedHealthPathsThatExistStillAnswer() {
		this.client.get().uri("/actuator/health/liveness").exchange().expectStatus().isOk();
	}

	@Test
	void headOfTheRootIsAnsweredLikeGet() {
		byte[] page = this.client.get().uri("/").exchange().expectStatus().isOk().expectBody().returnResult()
			.getResponseBody();
		this.client.method(HttpMethod.HEAD)
			.uri("/")
			.exchange()
			.expectStatus()
			.isOk()
			.expectHeader()
			.contentTypeCompatibleWith(MediaType.TEXT_HTML)
			.expectHeader()
			.contentLength(page.length)
			.expectBody()
			.isEmpty();
	}

	@ParameterizedTest(name = "{0}")
	@CsvSource(delimiter = '|', value = { "{\"prompt\":\"\\ud800\"} | prompt",
			"{\"prompt\":\"a\",\"negative_prompt\":\"x\\udc00y\"} | negative_prompt",
			"{\"prompt\":\"a\\ud83d\"} | prompt", "{\"prompt\":\"a\",\"shape\":\"\\ud800\"} | shape" })
	void loneSurrogateInJsonIsA400NamingTheParameter(String body, String parameter) {
		expectProblem(postJson("application/json", body), 400, "validation-error").jsonPath("$.errors[0].parameter")
			.isEqualTo(parameter);
	}

	@Test
	void loneSurrogateInAJsonNameIsA400() {
		// Jackson refuses such a name while reading, so the body is reported as malformed JSON.
		expectProblem(postJson("application/json", "{\"prompt\":\"a\",\"\\ud800\":1}"), 400, "malformed-json");
	}

	@Test
	void validSurrogatePairsAreFine() {
		// A fox emoji as an escaped pair: valid Unicode, so the request goes on (here: to a 503 of the stub).
		this.client.post()
			.uri("/generate")
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue("{\"prompt\":\"\\ud83e\\udd8a\",\"seed\":\"x\"}")
			.exchange()
			.expectStatus()
			.isBadRequest()
			.expectBody()
			.jsonPath("$.errors.length()")
			.isEqualTo(1)
			.jsonPath("$.errors[0].parameter")
			.isEqualTo("seed");
	}

	@ParameterizedTest(name = "{0}")
	@CsvSource(delimiter = '|', value = { "prompt=%ff | prompt", "prompt=a%C3 | prompt", "prompt=%ED%A0%80 | prompt",
			"prompt=x&negative_prompt=%C0%AF | negative_prompt", "prompt=x&%ff=1 | %ff",
			"prompt=%F0%9F%A6 | prompt" })
	void invalidUtf8InTheQueryIsA400NamingTheParameter(String query, String parameter) {
		expectProblem(this.client.get().uri(URI.create("http://127.0.0.1:" + this.port + "/generate?" + query)).exchange(),
				400, "validation-error")
			.jsonPath("$.errors[0].parameter")
			.isEqualTo(parameter);
	}

	@Test
	void validUtf8InTheQueryIsDecoded() {
		// U+20AC and U+1F98A, percent-encoded: valid, so validation goes on to the real error (seed).
		this.client.get()
			.uri(URI.create("http://127.0.0.1:" + this.port + "/generate?prompt=%E2%82%AC%F0%9F%A6%8A&seed=x"))
			.exchange()
			.expectStatus()
			.isBadRequest()
			.expectBody()
			.jsonPath("$.errors.length()")
			.isEqualTo(1)
			.jsonPath("$.errors[0].parameter")
			.isEqualTo("seed");
	}

}

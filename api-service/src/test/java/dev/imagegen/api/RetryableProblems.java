package dev.imagegen.api;

import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * The shared expectation of the tests where no worker can take a generation right now.
 */
final class RetryableProblems {

	private RetryableProblems() {
	}

	/**
	 * Asserts that {@code GET /generate?prompt=fox} is answered 503 with a {@code Retry-After} and a problem type.
	 * @param client the client of the API under test
	 * @param retryAfter the expected {@code Retry-After} value
	 * @param type the expected problem type URI
	 * @return the body spec, for further assertions
	 */
	static WebTestClient.BodyContentSpec expectGenerate503(WebTestClient client, String retryAfter, String type) {
		return client.get()
			.uri("/generate?prompt=fox")
			.exchange()
			.expectStatus()
			.isEqualTo(503)
			.expectHeader()
			.valueEquals("Retry-After", retryAfter)
			.expectBody()
			.jsonPath("$.type")
			.isEqualTo(type);
	}

}

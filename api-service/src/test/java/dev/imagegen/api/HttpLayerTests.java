package dev.imagegen.api;

import java.io.IOException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The HTTP layer under hostile clients: connections that never complete a request head or idle after one
 * are closed (short timeouts here), while other clients are served meanwhile; what the decoder or Spring
 * cannot read is still answered with a problem.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
		properties = { "HEADER_TIMEOUT=1s", "IDLE_TIMEOUT=2s" })
@AutoConfigureWebTestClient(timeout = "20s")
class HttpLayerTests {

	/** Far above both timeouts: a read that hits it means the server kept the connection. */
	private static final int READ_TIMEOUT = 20_000;

	@LocalServerPort
	int port;

	@Autowired
	WebTestClient client;

	@ParameterizedTest(name = "{0}")
	@ValueSource(strings = { "GET /livez HTTP/1.1\r\nHost: localhost\r\nX-Slow: ", "\r\n\r\n", "", "GET /livez" })
	void incompleteRequestHeadIsClosedWhileOthersAreServed(String partial) throws IOException {
		try (RawHttp slow = new RawHttp(this.port, READ_TIMEOUT)) {
			slow.send(partial);
			this.client.get().uri("/livez").exchange().expectStatus().isOk();
			assertThat(slow.readUntilClosed()).isEmpty();
		}
	}

	@Test
	void idleKeepAliveConnectionIsClosedAfterIdleTimeout() throws IOException {
		try (RawHttp idle = new RawHttp(this.port, READ_TIMEOUT)) {
			idle.send("GET /livez HTTP/1.1\r\nHost: localhost\r\n\r\n");
			assertThat(idle.readResponse()).startsWith("HTTP/1.1 200");
			assertThat(idle.readUntilClosed()).isEmpty();
		}
	}

	@Test
	void keptAliveConnectionServesASecondRequest() throws IOException {
		try (RawHttp connection = new RawHttp(this.port, READ_TIMEOUT)) {
			connection.send("GET /livez HTTP/1.1\r\nHost: localhost\r\n\r\n");
			assertThat(connection.readResponse()).startsWith("HTTP/1.1 200");
			connection.send("GET /livez HTTP/1.1\r\nHost: localhost\r\n\r\n");
			assertThat(connection.readResponse()).startsWith("HTTP/1.1 200");
		}
	}

	@ParameterizedTest(name = "{0}")
	@ValueSource(strings = { "/generate?prompt=a<b", "/generate?prompt=a\"b", "/generate?prompt={x}",
			"/generate?prompt=a|b", "/generate?prompt=a^b", "/generate?prompt=a`b", "/generate?prompt=a\\b",
			"/generate?prompt=%zz", "/generate?prompt=%e", "/gen%erate" })
	void unparsableTargetIsABadRequestProblem(String target) throws IOException {
		try (RawHttp raw = new RawHttp(this.port, READ_TIMEOUT)) {
			String response = raw.send("GET " + target + " HTTP/1.1\r\nHost: localhost\r\n\r\n").readUntilClosed();
			assertProblem(response, 400, "bad-request");
		}
	}

	@Test
	void tooLongRequestLineIsA414Problem() throws IOException {
		try (RawHttp raw = new RawHttp(this.port, READ_TIMEOUT)) {
			String response = raw.send("GET /generate?prompt=" + "a".repeat(70 * 1024) + " HTTP/1.1\r\nHost: localhost\r\n\r\n")
				.readUntilClosed();
			assertProblem(response, 414, "uri-too-long");
		}
	}

	@Test
	void tooLargeHeadersAreA431Problem() throws IOException {
		try (RawHttp raw = new RawHttp(this.port, READ_TIMEOUT)) {
			String response = raw
				.send("GET /livez HTTP/1.1\r\nHost: localhost\r\nX-Big: " + "b".repeat(20 * 1024) + "\r\n\r\n")
				.readUntilClosed();
			assertProblem(response, 431, "headers-too-large");
		}
	}

	private static void assertProblem(String response, int status, String type) {
		assertThat(response).startsWith("HTTP/1.1 " + status)
			.containsIgnoringCase("content-type: application/problem+json")
			.containsIgnoringCase("x-content-type-options: nosniff")
			.contains("\"type\":\"https://imagegen.dev/problems/" + type + "\"")
			.contains("\"status\":" + status)
			.contains("\"requestId\":\"");
	}

}

package dev.imagegen.worker.web;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import dev.imagegen.worker.support.NoBrowserWorker;
import dev.imagegen.worker.support.RawHttp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

/**
 * Client-reachable edges of the HTTP layer (issue 8): slow or idle connections are closed, odd paths get a
 * problem+json 4xx, nothing operational is public without a token, and every answer says {@code nosniff}.
 */
class HttpHardeningTests extends NoBrowserWorker {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	@Test
	void aHalfSentRequestHeadIsClosedWhileOtherClientsAreServed() throws Exception {
		try (Socket slow = new Socket(InetAddress.getLoopbackAddress(), this.port)) {
			// Far above HEADER_TIMEOUT (1 s here): a server that never closes fails the read with a timeout.
			slow.setSoTimeout(15_000);
			OutputStream out = slow.getOutputStream();
			out.write("GET /health HTTP/1.1\r\nHost: localhost\r\nX-Half: ".getBytes(StandardCharsets.US_ASCII));
			out.flush();

			RawHttp.Response meanwhile = RawHttp.get(this.port, "/health");
			assertThat(meanwhile.status()).isIn(200, 503);

			InputStream in = slow.getInputStream();
			assertThatCode(() -> RawHttp.readToEnd(in)).as("the server closes the half-sent request")
				.doesNotThrowAnyException();
		}
	}

	@Test
	void anIdleKeepAliveConnectionIsClosed() throws Exception {
		try (Socket idle = new Socket(InetAddress.getLoopbackAddress(), this.port)) {
			idle.setSoTimeout(15_000);
			idle.getOutputStream()
				.write("GET /actuator/health/liveness HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
			idle.getOutputStream().flush();
			// The answer arrives, then the connection stays open only until IDLE_TIMEOUT (1.5 s here).
			byte[] all = RawHttp.readToEnd(idle.getInputStream());
			assertThat(new String(all, StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 200");
		}
		catch (SocketTimeoutException ex) {
			throw new AssertionError("the idle keep-alive connection was not closed", ex);
		}
	}

	@ParameterizedTest
	@ValueSource(strings = { "/actuator/health/nope/x", "/actuator/health/../env", "/actuator/health/./x",
			"/actuator/env", "/nothing-here" })
	void unknownActuatorPathsAre404Problems(String path) {
		RawHttp.Response response = RawHttp.get(this.port, path);

		assertThat(response.status()).as(response.body()).isEqualTo(404);
		assertProblem(response, 404);
	}

	@ParameterizedTest
	@ValueSource(strings = { "/generate%2f", "/generate%00", "/generate%2F..%2Fhealth", "/generate%zz",
			"/%c0%ae%c0%ae/health" })
	void urlsTomcatRejectsAreProblemsNotHtml(String path) {
		RawHttp.Response response = RawHttp.get(this.port, path);

		assertThat(response.status()).as(response.body()).isBetween(400, 499);
		assertProblem(response, response.status());
		assertThat(response.body()).doesNotContain("<html", "Apache Tomcat");
	}

	@Test
	void prometheusIsAbsentWithoutTokenOrManagementPort() {
		RawHttp.Response response = RawHttp.get(this.port, "/actuator/prometheus");

		assertThat(response.status()).isEqualTo(404);
		assertProblem(response, 404);
		assertThat(response.body()).doesNotContain("imagegen_worker");
	}

	@Test
	void publicHealthShowsStatusWithoutPathsOrDetails() {
		RawHttp.Response actuator = RawHttp.get(this.port, "/actuator/health");
		RawHttp.Response health = RawHttp.get(this.port, "/health");
		RawHttp.Response info = RawHttp.get(this.port, "/actuator/info");

		assertThat(actuator.body()).contains("\"status\"").doesNotContain("/tmp", "path", "details", "no-browser");
		assertThat(health.body()).contains("\"sessions\"").doesNotContain("/tmp", "no-browser");
		assertThat(info.status()).isEqualTo(200);
		assertThat(info.body()).doesNotContain("java.io.tmpdir", "PATH", "/usr");
		assertThat(actuator.header("X-Content-Type-Options")).isEqualTo("nosniff");
		assertThat(health.header("X-Content-Type-Options")).isEqualTo("nosniff");
	}

	@Test
	void aWrongMethodIsA405Problem() {
		RawHttp.Response response = RawHttp.exchange(this.port,
				"DELETE /generate HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");

		assertThat(response.status()).isEqualTo(405);
		assertProblem(response, 405);
	}

	private static void assertProblem(RawHttp.Response response, int status) {
		assertThat(response.header("Content-Type")).as(response.body()).startsWith("application/problem+json");
		assertThat(response.header("X-Content-Type-Options")).isEqualTo("nosniff");
		JsonNode problem = JSON.readTree(response.body());
		assertThat(problem.path("status").asInt()).isEqualTo(status);
		assertThat(problem.path("type").asString()).isNotBlank();
		assertThat(problem.path("title").asString()).isNotBlank();
		assertThat(problem.path("detail").asString()).isNotBlank();
		assertThat(problem.has("requestId")).isTrue();
	}

}

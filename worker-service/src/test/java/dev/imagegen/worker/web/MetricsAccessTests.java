package dev.imagegen.worker.web;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.test.context.TestPropertySource;

import dev.imagegen.worker.support.NoBrowserWorker;
import dev.imagegen.worker.support.RawHttp;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code METRICS_TOKEN} and {@code MANAGEMENT_PORT}: the scrape is behind a bearer token on the main port, or
 * lives on its own port, while {@code /health} stays on the main port.
 */
class MetricsAccessTests {

	@Nested
	@TestPropertySource(properties = "METRICS_TOKEN=scrape-secret")
	class WithToken extends NoBrowserWorker {

		@Test
		void prometheusNeedsTheBearerToken() {
			RawHttp.Response none = RawHttp.get(this.port, "/actuator/prometheus");
			RawHttp.Response wrong = RawHttp.exchange(this.port, request("/actuator/prometheus", "Bearer nope"));
			RawHttp.Response right = RawHttp.exchange(this.port, request("/actuator/prometheus", "Bearer scrape-secret"));

			assertThat(none.status()).isEqualTo(401);
			assertThat(none.header("Content-Type")).startsWith("application/problem+json");
			assertThat(none.header("WWW-Authenticate")).startsWith("Bearer");
			assertThat(wrong.status()).isEqualTo(401);
			assertThat(right.status()).isEqualTo(200);
			assertThat(right.body()).contains("imagegen_worker_queue_depth");
			assertThat(right.header("X-Content-Type-Options")).isEqualTo("nosniff");
		}

	}

	@Nested
	@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = "MANAGEMENT_PORT=0")
	class WithManagementPort extends NoBrowserWorker {

		@LocalManagementPort
		int managementPort;

		@Test
		void theActuatorMovesToTheManagementPortAndHealthStays() {
			assertThat(this.managementPort).isNotEqualTo(this.port);
			assertThat(RawHttp.get(this.managementPort, "/actuator/prometheus").body())
				.contains("imagegen_worker_queue_depth");
			assertThat(RawHttp.get(this.port, "/actuator/prometheus").status()).isEqualTo(404);
			assertThat(RawHttp.get(this.port, "/health").status()).isIn(200, 503);
			assertThat(RawHttp.get(this.port, "/health").header("Content-Type")).startsWith("application/json");
		}

	}

	private static String request(String path, String authorization) {
		return "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nAuthorization: " + authorization
				+ "\r\nConnection: close\r\n\r\n";
	}

}

package dev.imagegen.api;

import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * {@code MANAGEMENT_PORT} takes {@code /actuator/**} off the public port, while {@code /health}, {@code /livez}
 * and {@code /readyz} stay there; without {@code METRICS_TOKEN} the management port serves metrics to anyone
 * who can reach it (a port no Service or published port exposes).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
		properties = { "MANAGEMENT_PORT=0", "management.server.address=127.0.0.1",
				"PERCHANCE_WORKER_URL=http://127.0.0.1:9", "imagegen.health.cache-ttl=0s" })
class ManagementPortTests {

	@LocalServerPort
	int port;

	@LocalManagementPort
	int managementPort;

	private static WebTestClient client(int port) {
		return WebTestClient.bindToServer().baseUrl("http://127.0.0.1:" + port).build();
	}

	@Test
	void theActuatorMovesAndTheProbesStay() {
		WebTestClient main = client(this.port);
		main.get().uri("/actuator/prometheus").exchange().expectStatus().isNotFound();
		main.get().uri("/actuator/health").exchange().expectStatus().isNotFound();
		main.get().uri("/livez").exchange().expectStatus().isOk();
		main.get().uri("/readyz").exchange().expectStatus().isEqualTo(503);
		main.get().uri("/health").exchange().expectStatus().isEqualTo(503);
		client(this.managementPort).get().uri("/actuator/prometheus").exchange().expectStatus().isOk();
	}

}

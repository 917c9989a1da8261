package dev.imagegen.api;

import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * With {@code METRICS_TOKEN} and no management port, the public port serves metrics only to the token's bearer,
 * and nothing public shows a worker's credentials, file paths or the environment.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
		properties = { "METRICS_TOKEN=scrape-0123456789", "PERCHANCE_WORKER_URL=http://user:secret@127.0.0.1:9",
				"imagegen.health.cache-ttl=0s" })
@AutoConfigureWebTestClient(timeout = "20s")
class MetricsTokenTests {

	@Autowired
	WebTestClient client;

	@Test
	void metricsNeedTheToken() {
		this.client.get().uri("/actuator/prometheus").exchange().expectStatus().isUnauthorized()
			.expectHeader().exists("WWW-Authenticate")
			.expectHeader().contentType("application/problem+json");
		this.client.get().uri("/actuator/prometheus").header("Authorization", "Bearer wrong").exchange()
			.expectStatus().isUnauthorized();
		this.client.get().uri("/actuator/prometheus").header("Authorization", "Bearer scrape-0123456789").exchange()
			.expectStatus().isOk()
			.expectBody(String.class)
			.value((body) -> assertThat(body).contains("jvm_memory_used_bytes").doesNotContain("secret"));
	}

	@Test
	void healthAndInfoShowNoDetailsOrCredentials() {
		this.client.get().uri("/actuator/health").exchange().expectBody(String.class)
			.value((body) -> assertThat(body).contains("\"status\"").doesNotContain("details").doesNotContain("path")
				.doesNotContain("secret"));
		this.client.get().uri("/health").exchange().expectBody(String.class)
			.value((body) -> assertThat(body).contains("http://127.0.0.1:9").doesNotContain("secret"));
		this.client.get().uri("/actuator/info").exchange().expectBody(String.class)
			.value((body) -> assertThat(body).doesNotContain("PERCHANCE_WORKER_URL").doesNotContain("secret"));
	}

}

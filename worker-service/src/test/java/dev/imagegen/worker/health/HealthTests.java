package dev.imagegen.worker.health;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import dev.imagegen.worker.support.Emulator;
import dev.imagegen.worker.support.WorkerTestBase;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code /health}, the actuator probes and the Prometheus meters.
 */
class HealthTests extends WorkerTestBase {

	@Test
	void healthShowsSessionsAndQueueWithoutTouchingPerchance() {
		generate(body("something to report"));
		int logSize = Emulator.log().size();

		JsonNode health = json(send("GET", "/health", null));

		assertThat(health.path("status").asString()).isEqualTo("UP");
		JsonNode session = health.path("sessions").get(0);
		assertThat(session.path("id").asString()).isEqualTo("session-0");
		assertThat(session.path("state").asString()).isIn("ready", "busy");
		assertThat(session.path("keyAgeSeconds").isNumber()).isTrue();
		assertThat(session.path("lastSuccessAt").asString()).isNotBlank();
		assertThat(session.has("lastError")).isTrue();
		assertThat(session.path("breaker").path("state").asString()).isEqualTo("closed");
		assertThat(health.path("queue").path("depth").asInt()).isZero();
		assertThat(health.path("queue").path("capacity").asInt()).isEqualTo(16);
		assertThat(Emulator.log()).hasSize(logSize);
	}

	@Test
	void actuatorProbesAreUp() {
		assertThat(json(send("GET", "/actuator/health/liveness", null)).path("status").asString()).isEqualTo("UP");
		JsonNode readiness = json(send("GET", "/actuator/health/readiness", null));
		assertThat(readiness.path("status").asString()).isEqualTo("UP");
		assertThat(send("GET", "/actuator/health", null).statusCode()).isEqualTo(200);
		assertThat(send("GET", "/actuator/info", null).statusCode()).isEqualTo(200);
	}

	@Test
	void prometheusShowsTheWorkerMetersWithoutPromptText() {
		generate(body("secret prompt words"));

		String metrics = new String(send("GET", "/actuator/prometheus", null, "Authorization", "Bearer " + METRICS_TOKEN).body());

		assertThat(metrics).contains("imagegen_worker_generation_seconds_count{", "outcome=\"success\"",
				"imagegen_worker_queue_wait_seconds", "imagegen_worker_queue_depth",
				"imagegen_worker_upstream_responses_total", "imagegen_worker_key_verifications_total");
		assertThat(metrics).doesNotContain("secret prompt words");
	}

}

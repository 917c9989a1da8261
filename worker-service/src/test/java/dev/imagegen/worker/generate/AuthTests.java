package dev.imagegen.worker.generate;

import java.net.http.HttpResponse;

import org.junit.jupiter.api.Test;

import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.TestPropertySource;

import dev.imagegen.worker.support.WorkerTestBase;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * With {@code WORKER_TOKEN} set, a generation with the token succeeds end to end and health endpoints stay
 * open; missing and wrong tokens are covered by {@code GenerateRequestSliceTests}.
 */
@TestPropertySource(properties = { "imagegen.test.context=auth", "WORKER_TOKEN=s3cret-token" })
@DirtiesContext
class AuthTests extends WorkerTestBase {

	@Test
	void rightTokenIsAccepted() {
		assertThat(generate(body("with token"), "Authorization", "Bearer s3cret-token").statusCode()).isEqualTo(200);
	}

	@Test
	void healthStaysOpen() {
		assertThat(send("GET", "/health", null).statusCode()).isEqualTo(200);
		assertThat(send("GET", "/actuator/health/liveness", null).statusCode()).isEqualTo(200);
	}

}

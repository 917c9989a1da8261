package dev.imagegen.worker.generate;

import java.net.http.HttpResponse;

import org.junit.jupiter.api.Test;

import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.TestPropertySource;

import dev.imagegen.worker.support.Emulator;
import dev.imagegen.worker.support.WorkerTestBase;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * With {@code WORKER_TOKEN} set, {@code /generate} needs the bearer token; health endpoints stay open.
 */
@TestPropertySource(properties = { "imagegen.test.context=auth", "WORKER_TOKEN=s3cret-token" })
@DirtiesContext
class AuthTests extends WorkerTestBase {

	@Test
	void missingOrWrongTokenIsUnauthorized() {
		HttpResponse<byte[]> noToken = generate(body("no token"));
		assertProblem(noToken, 401, "unauthorized");
		assertThat(noToken.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(
				(challenge) -> assertThat(challenge).startsWith("Bearer"));
		assertProblem(generate(body("wrong token"), "Authorization", "Bearer nope"), 401, "unauthorized");
		assertProblem(generate(body("wrong scheme"), "Authorization", "Basic s3cret-token"), 401, "unauthorized");
		assertThat(Emulator.log("/api/generate")).isEmpty();
	}

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

package dev.imagegen.worker.generate;

import java.net.http.HttpResponse;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.JsonNode;

import dev.imagegen.worker.support.Emulator;
import dev.imagegen.worker.support.WorkerTestBase;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Request validation of {@code POST /generate}: every rule answers 400 {@code invalid-request} naming the field,
 * and nothing reaches Perchance.
 */
class ValidationTests extends WorkerTestBase {

	@ParameterizedTest
	@CsvSource(delimiter = '|', value = {
			"{\"prompt\":\"a\",\"colour\":\"red\"}|colour",
			"{\"prompt\":\"   \"}|prompt",
			"{\"negative_prompt\":\"x\"}|prompt",
			"{\"prompt\":42}|prompt",
			"{\"prompt\":\"a\",\"seed\":-2}|seed",
			"{\"prompt\":\"a\",\"seed\":2147483648}|seed",
			"{\"prompt\":\"a\",\"seed\":1.5}|seed",
			"{\"prompt\":\"a\",\"guidance_scale\":0.5}|guidance_scale",
			"{\"prompt\":\"a\",\"guidance_scale\":30.5}|guidance_scale",
			"{\"prompt\":\"a\",\"guidance_scale\":\"high\"}|guidance_scale",
			"{\"prompt\":\"a\",\"shape\":\"circle\"}|shape",
			"{\"prompt\":\"a\",\"format\":\"gif\"}|format",
			"{\"prompt\":\"a\",\"seed\":1,\"seed\":2}|seed" })
	void invalidFieldsAreNamed(String body, String field) {
		HttpResponse<byte[]> response = generate(body, "X-Request-Id", "bad-1");

		JsonNode problem = assertProblem(response, 400, "invalid-request");
		assertThat(problem.path("errors")).anySatisfy((e) -> assertThat(e.path("parameter").asString()).isEqualTo(field));
		assertThat(problem.path("requestId").asString()).isEqualTo("bad-1");
		assertThat(problem.path("instance").asString()).isEqualTo("/generate");
		assertThat(response.headers().firstValue("X-Request-Id")).hasValue("bad-1");
		assertThat(Emulator.log("/api/generate")).isEmpty();
	}

	@Test
	void overlongPromptsAreRejected() {
		String longPrompt = "x".repeat(1001);
		JsonNode problem = assertProblem(generate(body(longPrompt)), 400, "invalid-request");
		assertThat(problem.path("errors").get(0).path("parameter").asString()).isEqualTo("prompt");
		assertThat(generate(body("  " + "y".repeat(1000) + "  ")).statusCode()).isEqualTo(200);
	}

	@Test
	void bodiesThatAreNotJsonObjectsAreRejected() {
		assertProblem(generate("not json"), 400, "invalid-request");
		assertProblem(generate("[1,2]"), 400, "invalid-request");
		assertProblem(send("POST", "/generate", null), 400, "invalid-request");
	}

	@Test
	void shapeAndFormatAreCaseInsensitive() {
		HttpResponse<byte[]> response = generate("{\"prompt\":\"cats\",\"shape\":\"PORTRAIT\",\"format\":\"JPEG\"}");
		assertThat(response.statusCode()).isEqualTo(200);
		assertThat(response.headers().firstValue("X-Image-Width")).hasValue("512");
		assertThat(response.headers().firstValue("Content-Type")).hasValue("image/jpeg");
	}

}

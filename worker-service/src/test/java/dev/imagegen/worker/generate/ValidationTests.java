package dev.imagegen.worker.generate;

import java.net.http.HttpResponse;

import org.junit.jupiter.api.Test;

import dev.imagegen.worker.support.WorkerTestBase;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The accepting side of validation end to end (real Chromium): the limits' boundary values and case-insensitive
 * enums generate. Rejections are tested without a browser in {@code GenerateRequestSliceTests}.
 */
class ValidationTests extends WorkerTestBase {

	@Test
	void aPromptOfExactlyTheLimitIsGenerated() {
		// The rejections (1001 characters, broken fields) are GenerateRequestSliceTests, without a browser.
		assertThat(generate(body("  " + "y".repeat(1000) + "  ")).statusCode()).isEqualTo(200);
	}

	@Test
	void shapeAndFormatAreCaseInsensitive() {
		HttpResponse<byte[]> response = generate("{\"prompt\":\"cats\",\"shape\":\"PORTRAIT\",\"format\":\"JPEG\"}");
		assertThat(response.statusCode()).isEqualTo(200);
		assertThat(response.headers().firstValue("X-Image-Width")).hasValue("512");
		assertThat(response.headers().firstValue("Content-Type")).hasValue("image/jpeg");
	}

}

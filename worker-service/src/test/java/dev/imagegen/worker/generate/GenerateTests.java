package dev.imagegen.worker.generate;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.JsonNode;

import dev.imagegen.worker.support.Emulator;
import dev.imagegen.worker.support.WorkerTestBase;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The happy paths of {@code POST /generate} against the emulator: sizes, formats, seeds, headers, and the
 * exact shape of the upstream request.
 */
class GenerateTests extends WorkerTestBase {

	@ParameterizedTest
	@CsvSource({ "portrait, 512, 768", "landscape, 768, 512", "square, 768, 768" })
	void eachShapeHasItsExactSizeAsPng(String shape, int width, int height) throws IOException {
		Map<String, Object> body = body("a red fox in the snow");
		body.put("shape", shape);
		HttpResponse<byte[]> response = generate(body);

		assertThat(response.statusCode()).as(() -> new String(response.body())).isEqualTo(200);
		assertThat(response.headers().firstValue("Content-Type")).hasValue("image/png");
		BufferedImage image = ImageIO.read(new ByteArrayInputStream(response.body()));
		assertThat(image.getWidth()).isEqualTo(width);
		assertThat(image.getHeight()).isEqualTo(height);
		assertThat(response.headers().firstValue("X-Image-Width")).hasValue(Integer.toString(width));
		assertThat(response.headers().firstValue("X-Image-Height")).hasValue(Integer.toString(height));
		assertThat(response.body()).startsWith(0x89, 'P', 'N', 'G');
	}

	@Test
	void jpegIsTheUpstreamBytesUntouched() throws Exception {
		Map<String, Object> body = body("a lighthouse at dusk");
		body.put("format", "jpeg");
		body.put("shape", "landscape");
		HttpResponse<byte[]> response = generate(body);

		assertThat(response.statusCode()).isEqualTo(200);
		assertThat(response.headers().firstValue("Content-Type")).hasValue("image/jpeg");
		String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(response.body()));
		assertThat(response.headers().firstValue("X-Upstream-Image-Id")).hasValue(sha);
		BufferedImage image = ImageIO.read(new ByteArrayInputStream(response.body()));
		assertThat(image.getWidth()).isEqualTo(768);
		assertThat(image.getHeight()).isEqualTo(512);
	}

	@Test
	void fixedSeedIsEchoedAndAllHeadersArePresent() {
		Map<String, Object> body = body("  a castle on a hill  ");
		body.put("seed", 123456);
		body.put("negative_prompt", "blurry");
		body.put("guidance_scale", 8.5);
		HttpResponse<byte[]> response = generate(body, "X-Request-Id", "req-seed-1");

		assertThat(response.statusCode()).isEqualTo(200);
		assertThat(response.headers().firstValue("X-Seed")).hasValue("123456");
		assertThat(response.headers().firstValue("X-Request-Id")).hasValue("req-seed-1");
		assertThat(response.headers().firstValue("X-Maybe-Nsfw")).hasValue("false");
		assertThat(response.headers().firstValue("X-Queue-Wait-Ms")).hasValueSatisfying((v) -> assertThat(Long.parseLong(v)).isNotNegative());
		assertThat(response.headers().firstValue("X-Generation-Ms")).hasValueSatisfying((v) -> assertThat(Long.parseLong(v)).isPositive());
		assertThat(response.headers().firstValue("X-Upstream-Image-Id")).hasValueSatisfying((v) -> assertThat(v).matches("[0-9a-f]{64}"));

		List<JsonNode> posts = Emulator.log("/api/generate", Emulator.prompt("a castle on a hill"));
		JsonNode post = posts.get(posts.size() - 1);
		assertThat(post.path("method").asString()).isEqualTo("POST");
		JsonNode sent = JSON.readTree(post.path("body").asString());
		List<String> keys = new ArrayList<>();
		sent.propertyNames().forEach(keys::add);
		assertThat(keys).containsExactly("prompt", "negativePrompt", "seed", "resolution", "guidanceScale", "channel",
				"subChannel", "userKey", "adAccessCode", "requestId");
		assertThat(sent.path("seed").asLong()).isEqualTo(123456);
		assertThat(sent.path("negativePrompt").asString()).isEqualTo("blurry");
		assertThat(sent.path("resolution").asString()).isEqualTo("768x768");
		assertThat(sent.path("guidanceScale").asDouble()).isEqualTo(8.5);
		assertThat(sent.path("channel").asString()).isEqualTo("ai-text-to-image-generator");
		assertThat(sent.path("subChannel").asString()).isEqualTo("public");
		assertThat(sent.path("adAccessCode").asString()).isEmpty();
		JsonNode query = post.path("query");
		assertThat(query.path("userKey").asString()).isEqualTo(sent.path("userKey").asString());
		assertThat(query.path("requestId").asString()).isEqualTo(sent.path("requestId").asString()).matches("0\\.\\d+");
		assertThat(query.has("adAccessCode")).isTrue();
		assertThat(query.path("__cacheBust").asString()).matches("0\\.\\d+");
	}

	@Test
	void wholeGuidanceIsSentAsAnIntegerAndRandomSeedIsReported() {
		HttpResponse<byte[]> response = generate(body("a quiet forest"));

		assertThat(response.statusCode()).isEqualTo(200);
		long seed = Long.parseLong(response.headers().firstValue("X-Seed").orElseThrow());
		assertThat(seed).isBetween(0L, (long) Integer.MAX_VALUE);
		JsonNode post = Emulator.log("/api/generate", Emulator.prompt("a quiet forest")).get(0);
		assertThat(post.path("body").asString()).contains("\"seed\":-1").contains("\"guidanceScale\":7,");
	}

}

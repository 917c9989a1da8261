package dev.imagegen.api.openai;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.json.JsonMapper;

import dev.imagegen.api.generate.GenerateRequestParser;
import dev.imagegen.api.generate.ImageFormat;
import dev.imagegen.api.generate.Shape;
import dev.imagegen.api.problem.ApiProblem;
import dev.imagegen.api.problem.InvalidParameter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The rules of {@code POST /v1/images/generations} bodies: OpenAI's fields here, {@code /generate}'s fields by
 * {@code /generate}'s rules.
 */
class OpenAiRequestParserTests {

	private final OpenAiRequestParser parser = new OpenAiRequestParser(
			new GenerateRequestParser(1000, JsonMapper.builder().build()));

	private OpenAiImageRequest parse(String json) {
		return this.parser.parse(json.getBytes(StandardCharsets.UTF_8));
	}

	private ApiProblem problem(String json) {
		try {
			parse(json);
		}
		catch (ApiProblem problem) {
			return problem;
		}
		throw new AssertionError("accepted: " + json);
	}

	@Test
	void defaults() {
		OpenAiImageRequest request = parse("{\"prompt\":\"  a fox  \"}");
		assertThat(request.n()).isEqualTo(1);
		assertThat(request.base64()).isFalse();
		assertThat(request.model()).isNull();
		assertThat(request.request().prompt()).isEqualTo("a fox");
		assertThat(request.request().shape()).isEqualTo(Shape.SQUARE);
		assertThat(request.request().format()).isEqualTo(ImageFormat.PNG);
		assertThat(request.request().seedFixed()).isFalse();
		assertThat(request.image(1).seedFixed()).isFalse();
	}

	@Test
	void fixedSeedsCountUp() {
		OpenAiImageRequest request = parse("{\"prompt\":\"fox\",\"n\":4,\"seed\":2147483644,\"output_format\":\"JPEG\","
				+ "\"response_format\":\"b64_json\",\"size\":\"1792X1024\",\"model\":\"dall-e-3\",\"user\":\"u\"}");
		assertThat(request.image(0).seed()).isEqualTo(2147483644L);
		assertThat(request.image(3).seed()).isEqualTo(2147483647L);
		assertThat(request.request().format()).isEqualTo(ImageFormat.JPEG);
		assertThat(request.request().shape()).isEqualTo(Shape.LANDSCAPE);
		assertThat(request.base64()).isTrue();
		assertThat(request.model()).isEqualTo("dall-e-3");
	}

	@ParameterizedTest(name = "{0}")
	@CsvSource(delimiter = '|', value = { "{\"prompt\":\"fox\",\"n\":0} | n", "{\"prompt\":\"fox\",\"n\":5} | n",
			"{\"prompt\":\"fox\",\"n\":1.5} | n", "{\"prompt\":\"fox\",\"n\":\"2\"} | n",
			"{\"prompt\":\"fox\",\"n\":99999999999999999999} | n", "{\"prompt\":\"fox\",\"size\":\"256x256\"} | size",
			"{\"prompt\":\"fox\",\"size\":768} | size", "{\"prompt\":\"fox\",\"response_format\":\"png\"} | response_format",
			"{\"prompt\":\"fox\",\"response_format\":1} | response_format",
			"{\"prompt\":\"fox\",\"output_format\":\"webp\"} | output_format",
			"{\"prompt\":\"fox\",\"stream\":true} | stream", "{\"prompt\":\"fox\",\"model\":3} | model",
			"{\"prompt\":\"fox\",\"user\":{}} | user", "{\"prompt\":\"fox\",\"size\":\"auto\",\"size\":\"auto\"} | size",
			"{\"prompt\":\"fox\",\"prompt\":\"fox\"} | prompt", "{\"n\":1} | prompt",
			"{\"prompt\":\"fox\",\"seed\":-2} | seed", "{\"prompt\":\"fox\",\"n\":4,\"seed\":2147483645} | seed",
			"{\"prompt\":\"fox\",\"guidance_scale\":0.5} | guidance_scale",
			"{\"prompt\":\"fox\",\"negative_prompt\":7} | negative_prompt",
			"{\"prompt\":\"fox\",\"shape\":\"square\"} | shape", "{\"prompt\":\"fox\",\"format\":\"png\"} | format" })
	void offendingFieldsAreNamed(String json, String field) {
		ApiProblem problem = problem(json);
		assertThat(problem.status()).isEqualTo(400);
		assertThat(problem.errors()).extracting(InvalidParameter::parameter).containsExactly(field);
	}

	@Test
	void everyOffenderIsReportedInTheDocumentedOrder() {
		ApiProblem problem = problem("{\"guidance_scale\":99,\"size\":\"1x1\",\"n\":9,\"colour\":\"red\"}");
		assertThat(problem.errors()).extracting(InvalidParameter::parameter)
			.containsExactly("prompt", "n", "size", "guidance_scale", "colour");
	}

	@Test
	void ignoredFieldsTakeAnyValue() {
		assertThat(parse("{\"prompt\":\"fox\",\"quality\":{\"x\":1},\"style\":null,\"background\":\"transparent\","
				+ "\"moderation\":\"auto\",\"output_compression\":\"high\",\"partial_images\":2,\"stream\":false}").n())
			.isEqualTo(1);
	}

	@Test
	void aBodyThatIsNotAnObjectIsMalformed() {
		assertThat(problem("[1]").type()).endsWith("malformed-json");
		assertThat(problem("").type()).endsWith("malformed-json");
	}

}

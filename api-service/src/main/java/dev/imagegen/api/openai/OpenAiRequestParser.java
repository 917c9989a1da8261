package dev.imagegen.api.openai;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import tools.jackson.databind.JsonNode;

import dev.imagegen.api.generate.GenerateRequest;
import dev.imagegen.api.generate.GenerateRequestParser;
import dev.imagegen.api.generate.ImageFormat;
import dev.imagegen.api.generate.Shape;
import dev.imagegen.api.problem.ApiProblem;
import dev.imagegen.api.problem.InvalidParameter;

/**
 * Validates a {@code POST /v1/images/generations} body. OpenAI's own fields are checked here ({@code size} maps to a
 * shape, {@code output_format} to a format); {@code prompt}, {@code negative_prompt}, {@code seed} and
 * {@code guidance_scale} go to {@link GenerateRequestParser}, so they follow exactly the rules of
 * {@code /generate}. Every offending field is reported together, in one {@code validation-error}.
 */
final class OpenAiRequestParser {

	/**
	 * The fields this API reads, in the order they are documented (and errors are listed). The last six are fields
	 * of OpenAI's image API that have no meaning here: accepted, whatever their value, and ignored.
	 */
	static final List<String> FIELDS = List.of("prompt", "model", "n", "size", "response_format", "output_format",
			"user", "negative_prompt", "seed", "guidance_scale", "stream", "quality", "style", "background",
			"moderation", "output_compression", "partial_images");

	/** Fields handed to {@code /generate}'s validation as they are. */
	private static final Set<String> GENERATE_FIELDS = Set.of("prompt", "negative_prompt", "seed", "guidance_scale");

	static final int MAX_N = 4;

	private static final Map<String, Shape> SIZES = new LinkedHashMap<>();

	static {
		SIZES.put("512x768", Shape.PORTRAIT);
		SIZES.put("768x512", Shape.LANDSCAPE);
		SIZES.put("768x768", Shape.SQUARE);
		SIZES.put("1024x1024", Shape.SQUARE);
		SIZES.put("auto", Shape.SQUARE);
		SIZES.put("1024x1536", Shape.PORTRAIT);
		SIZES.put("1024x1792", Shape.PORTRAIT);
		SIZES.put("1536x1024", Shape.LANDSCAPE);
		SIZES.put("1792x1024", Shape.LANDSCAPE);
	}

	private static final String ALLOWED = "allowed fields: " + String.join(", ", FIELDS);

	private final GenerateRequestParser generate;

	OpenAiRequestParser(GenerateRequestParser generate) {
		this.generate = generate;
	}

	/**
	 * @param body the JSON body
	 * @return the request
	 * @throws ApiProblem {@code malformed-json}, or {@code validation-error} naming every offending field
	 */
	OpenAiImageRequest parse(byte[] body) {
		Map<String, List<Object>> raw = this.generate.jsonFields(body);
		List<InvalidParameter> errors = new ArrayList<>();
		Map<String, List<Object>> forGenerate = new LinkedHashMap<>();
		raw.forEach((name, values) -> {
			if (GENERATE_FIELDS.contains(name)) {
				// Repeats included: /generate's rules report them.
				forGenerate.put(name, values);
			}
			else if (!FIELDS.contains(name)) {
				errors.add(new InvalidParameter(printable(name), "unknown field; " + ALLOWED));
			}
			else if (values.size() > 1) {
				errors.add(new InvalidParameter(name, "given " + values.size() + " times; give it at most once"));
			}
		});
		String model = string(raw, "model", errors);
		string(raw, "user", errors);
		int n = n(raw, errors);
		Shape shape = size(raw, errors);
		boolean base64 = responseFormat(raw, errors);
		ImageFormat format = outputFormat(raw, errors);
		stream(raw, errors);
		forGenerate.put("shape", List.of(shape.wireName()));
		forGenerate.put("format", List.of(format.wireName()));
		GenerateRequest request = null;
		try {
			request = this.generate.fromFields(forGenerate);
		}
		catch (ApiProblem problem) {
			if (problem.errors().isEmpty()) {
				throw problem;
			}
			errors.addAll(problem.errors());
		}
		if (request != null && request.seedFixed() && request.seed() + n - 1 > GenerateRequestParser.MAX_SEED) {
			errors.add(new InvalidParameter("seed", "with n=" + n + " the images get seeds seed to seed+" + (n - 1)
					+ ", which must stay within 0..2147483647; give a seed of at most " + (GenerateRequestParser.MAX_SEED - n + 1)));
		}
		if (!errors.isEmpty()) {
			errors.sort((a, b) -> Integer.compare(order(a.parameter()), order(b.parameter())));
			throw ApiProblem.validation(errors);
		}
		return new OpenAiImageRequest(request, n, base64, model);
	}

	private static int order(String field) {
		int index = FIELDS.indexOf(field);
		return (index >= 0) ? index : FIELDS.size();
	}

	/** A name as it can be shown: one with a lone surrogate cannot be written as UTF-8. */
	private static String printable(String name) {
		for (int i = 0; i < name.length(); i++) {
			char c = name.charAt(i);
			if (Character.isHighSurrogate(c) && i + 1 < name.length() && Character.isLowSurrogate(name.charAt(i + 1))) {
				i++;
			}
			else if (Character.isSurrogate(c)) {
				return "(a field name that is not valid Unicode)";
			}
		}
		return name;
	}

	/** The single value of one of OpenAI's fields: {@code null} when absent, repeated (reported) or JSON null. */
	private static JsonNode single(Map<String, List<Object>> raw, String name) {
		List<Object> values = raw.get(name);
		if (values == null || values.size() != 1) {
			return null;
		}
		JsonNode node = (JsonNode) values.get(0);
		return node.isNull() ? null : node;
	}

	private static String string(Map<String, List<Object>> raw, String name, List<InvalidParameter> errors) {
		JsonNode value = single(raw, name);
		if (value == null) {
			return null;
		}
		if (!value.isString()) {
			errors.add(new InvalidParameter(name, "must be a string"));
			return null;
		}
		return value.stringValue();
	}

	private static int n(Map<String, List<Object>> raw, List<InvalidParameter> errors) {
		JsonNode value = single(raw, "n");
		if (value == null) {
			return 1;
		}
		if (!value.isIntegralNumber() || !value.canConvertToInt() || value.intValue() < 1 || value.intValue() > MAX_N) {
			errors.add(new InvalidParameter("n", "must be an integer from 1 to " + MAX_N));
			return 1;
		}
		return value.intValue();
	}

	private static Shape size(Map<String, List<Object>> raw, List<InvalidParameter> errors) {
		JsonNode value = single(raw, "size");
		if (value == null) {
			return Shape.SQUARE;
		}
		Shape shape = value.isString() ? SIZES.get(value.stringValue().trim().toLowerCase(Locale.ROOT)) : null;
		if (shape == null) {
			errors.add(new InvalidParameter("size", "must be one of " + String.join(", ", SIZES.keySet())
					+ " (512x768 portrait, 768x512 landscape, 768x768 square; larger OpenAI sizes map to these)"));
			return Shape.SQUARE;
		}
		return shape;
	}

	private static boolean responseFormat(Map<String, List<Object>> raw, List<InvalidParameter> errors) {
		JsonNode node = single(raw, "response_format");
		if (node == null) {
			return false;
		}
		String value = lower(node);
		if ("url".equals(value)) {
			return false;
		}
		if ("b64_json".equals(value)) {
			return true;
		}
		errors.add(new InvalidParameter("response_format", "must be url or b64_json"));
		return false;
	}

	private static ImageFormat outputFormat(Map<String, List<Object>> raw, List<InvalidParameter> errors) {
		JsonNode node = single(raw, "output_format");
		if (node == null) {
			return ImageFormat.PNG;
		}
		String value = lower(node);
		if ("png".equals(value)) {
			return ImageFormat.PNG;
		}
		if ("jpeg".equals(value)) {
			return ImageFormat.JPEG;
		}
		errors.add(new InvalidParameter("output_format", "must be png or jpeg"));
		return ImageFormat.PNG;
	}

	/** Only the one answer at the end is offered: {@code stream} may be left out or {@code false}. */
	private static void stream(Map<String, List<Object>> raw, List<InvalidParameter> errors) {
		JsonNode value = single(raw, "stream");
		if (value != null && !(value.isBoolean() && !value.booleanValue())) {
			errors.add(new InvalidParameter("stream", "streaming is not offered; leave stream out or set it to false"));
		}
	}

	/** A string value, trimmed and lower-cased; {@code null} when absent or not a string. */
	private static String lower(JsonNode value) {
		return (value != null && value.isString()) ? value.stringValue().trim().toLowerCase(Locale.ROOT) : null;
	}

}

package dev.imagegen.worker.generate;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectReader;
import tools.jackson.databind.json.JsonMapper;

import dev.imagegen.worker.job.GenerationSpec;
import dev.imagegen.worker.job.ImageFormat;
import dev.imagegen.worker.job.Shape;
import dev.imagegen.worker.problem.Problem;
import dev.imagegen.worker.problem.WorkerException;
import dev.imagegen.worker.problem.WorkerException.FieldError;

/**
 * Reads and checks a {@code POST /generate} body by the public API's rules; every broken field is reported.
 */
final class RequestParser {

	private static final List<String> FIELDS = List.of("prompt", "negative_prompt", "seed", "guidance_scale", "shape",
			"format");

	private static final String UNKNOWN_FIELD = "unknown field; allowed: " + String.join(", ", FIELDS);

	private static final int MAX_NEGATIVE_PROMPT = 1000;

	private static final double DEFAULT_GUIDANCE = 7.0;

	// Jackson names the repeated property in quotes: Duplicate Object property "prompt" (3.x), 'prompt' (2.x).
	private static final Pattern DUPLICATE = Pattern.compile("Duplicate[^\"']*[\"']([^\"']{1,64})[\"']");

	// A repeated field is a 400, as a repeated query parameter is in the public API.
	private final ObjectReader json;

	private final int maxPromptLength;

	RequestParser(JsonMapper json, int maxPromptLength) {
		this.json = json.reader().with(StreamReadFeature.STRICT_DUPLICATE_DETECTION);
		this.maxPromptLength = maxPromptLength;
	}

	GenerationSpec parse(byte[] body) {
		JsonNode root;
		try {
			root = (body == null || body.length == 0) ? null : this.json.readTree(body);
		}
		catch (JacksonException ex) {
			Matcher duplicate = DUPLICATE.matcher(String.valueOf(ex.getOriginalMessage()));
			if (duplicate.find()) {
				throw new WorkerException(Problem.INVALID_REQUEST, "The request has 1 invalid field(s).", null,
						List.of(new FieldError(duplicate.group(1), "is repeated; give each field once")));
			}
			root = null;
		}
		if (root == null || !root.isObject()) {
			throw new WorkerException(Problem.INVALID_REQUEST, "The body must be a JSON object with at least a prompt.");
		}
		List<FieldError> errors = new ArrayList<>();
		for (Map.Entry<String, JsonNode> field : root.properties()) {
			if (!FIELDS.contains(field.getKey())) {
				errors.add(new FieldError(field.getKey(), UNKNOWN_FIELD));
			}
		}
		String prompt = null;
		JsonNode promptNode = root.get("prompt");
		if (promptNode == null || promptNode.isNull()) {
			errors.add(new FieldError("prompt", "is required"));
		}
		else if (!promptNode.isString()) {
			errors.add(new FieldError("prompt", "must be a string"));
		}
		else {
			prompt = promptNode.asString().strip();
			if (prompt.isEmpty()) {
				errors.add(new FieldError("prompt", "must not be blank"));
			}
			else if (prompt.codePointCount(0, prompt.length()) > this.maxPromptLength) {
				errors.add(new FieldError("prompt", "must be at most " + this.maxPromptLength + " characters"));
			}
		}
		String negative = "";
		JsonNode negativeNode = root.get("negative_prompt");
		if (negativeNode != null && !negativeNode.isNull()) {
			if (!negativeNode.isString()) {
				errors.add(new FieldError("negative_prompt", "must be a string"));
			}
			else {
				negative = negativeNode.asString();
				if (negative.codePointCount(0, negative.length()) > MAX_NEGATIVE_PROMPT) {
					errors.add(new FieldError("negative_prompt", "must be at most " + MAX_NEGATIVE_PROMPT + " characters"));
				}
			}
		}
		long seed = -1;
		JsonNode seedNode = root.get("seed");
		if (seedNode != null && !seedNode.isNull()) {
			if (!seedNode.isIntegralNumber() || !seedNode.canConvertToLong()) {
				errors.add(new FieldError("seed", "must be an integer: -1 or 0..2147483647"));
			}
			else {
				seed = seedNode.asLong();
				if (seed != -1 && (seed < 0 || seed > Integer.MAX_VALUE)) {
					errors.add(new FieldError("seed", "must be -1 (random) or 0..2147483647"));
				}
			}
		}
		double guidance = DEFAULT_GUIDANCE;
		JsonNode guidanceNode = root.get("guidance_scale");
		if (guidanceNode != null && !guidanceNode.isNull()) {
			if (!guidanceNode.isNumber()) {
				errors.add(new FieldError("guidance_scale", "must be a number between 1 and 30"));
			}
			else {
				guidance = guidanceNode.asDouble();
				if (!(guidance >= 1.0 && guidance <= 30.0)) {
					errors.add(new FieldError("guidance_scale", "must be between 1 and 30"));
				}
			}
		}
		Shape shape = enumValue(root, "shape", Shape.class, Shape.SQUARE, errors);
		ImageFormat format = enumValue(root, "format", ImageFormat.class, ImageFormat.PNG, errors);
		if (!errors.isEmpty()) {
			throw new WorkerException(Problem.INVALID_REQUEST, "The request has " + errors.size() + " invalid field(s).",
					null, errors);
		}
		return new GenerationSpec(prompt, negative, seed, guidance, shape, format);
	}

	private static <E extends Enum<E>> E enumValue(JsonNode root, String field, Class<E> type, E fallback,
			List<FieldError> errors) {
		JsonNode node = root.get(field);
		if (node == null || node.isNull()) {
			return fallback;
		}
		E[] constants = type.getEnumConstants();
		if (node.isString()) {
			String value = node.asString().strip().toUpperCase(Locale.ROOT);
			for (E constant : constants) {
				if (constant.name().equals(value)) {
					return constant;
				}
			}
		}
		List<String> allowed = new ArrayList<>();
		for (E constant : constants) {
			allowed.add(constant.name().toLowerCase(Locale.ROOT));
		}
		errors.add(new FieldError(field, "must be one of " + String.join(", ", allowed)));
		return fallback;
	}

}

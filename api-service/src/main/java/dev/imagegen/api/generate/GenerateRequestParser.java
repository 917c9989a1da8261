package dev.imagegen.api.generate;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectReader;
import tools.jackson.databind.json.JsonMapper;

import dev.imagegen.api.problem.ApiProblem;
import dev.imagegen.api.problem.InvalidParameter;
import dev.imagegen.api.problem.ProblemTypes;
import org.springframework.util.MultiValueMap;

/**
 * Strict validation of the public {@code /generate} parameters, the same rules for a query string and
 * a JSON body: unknown or repeated parameters, wrong types, out-of-range values, blank or too long
 * prompts are all reported together in one {@code validation-error} problem.
 */
public final class GenerateRequestParser {

	/** The parameters of the public API, in the order they are documented. */
	static final List<String> PARAMETERS = List.of("prompt", "negative_prompt", "seed", "guidance_scale", "shape",
			"format");

	static final double MIN_GUIDANCE = 1.0;

	static final double MAX_GUIDANCE = 30.0;

	static final double DEFAULT_GUIDANCE = 7.0;

	public static final long MAX_SEED = Integer.MAX_VALUE;

	private static final String ALLOWED = "allowed parameters: " + String.join(", ", PARAMETERS);

	private static final Pattern INTEGER = Pattern.compile("-?[0-9]+");

	private static final Pattern DECIMAL = Pattern.compile("[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+)?");

	private final int maxPromptLength;

	private final JsonMapper jsonMapper;

	/** Reads one property value at a time; the object as a whole is checked by hand. */
	private final ObjectReader valueReader;

	public GenerateRequestParser(int maxPromptLength, JsonMapper jsonMapper) {
		this.maxPromptLength = maxPromptLength;
		this.jsonMapper = jsonMapper;
		this.valueReader = jsonMapper.readerFor(JsonNode.class).without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
	}

	/**
	 * Validates query parameters ({@code GET /generate}).
	 * @throws ApiProblem a {@code validation-error} naming every offending parameter
	 */
	public GenerateRequest fromQuery(MultiValueMap<String, String> query) {
		Map<String, List<Object>> raw = new LinkedHashMap<>();
		query.forEach((name, values) -> {
			List<Object> list = new ArrayList<>();
			for (String value : values) {
				list.add((value != null) ? value : "");
			}
			raw.put(name, list);
		});
		return validate(raw);
	}

	/**
	 * Validates a JSON body ({@code POST /generate}). Duplicate keys count as repeated parameters.
	 * @throws ApiProblem {@code malformed-json} when the body is not one JSON object, else a
	 * {@code validation-error} naming every offending field
	 */
	public GenerateRequest fromJson(byte[] body) {
		return fromFields(jsonFields(body));
	}

	/**
	 * Reads a JSON body into its fields, without judging them: for a front door whose body has fields of its
	 * own (the OpenAI-compatible API) and passes on the fields of {@code /generate} to {@link #fromFields}.
	 * @param body the request body
	 * @return each property name with its values in order (more than one when the key is repeated)
	 * @throws ApiProblem {@code malformed-json} when the body is not one JSON object
	 */
	public Map<String, List<Object>> jsonFields(byte[] body) {
		Map<String, List<Object>> raw = new LinkedHashMap<>();
		try (JsonParser parser = this.jsonMapper.createParser(body)) {
			JsonToken token = parser.nextToken();
			if (token == null) {
				throw malformed("The request body is empty; send a JSON object such as {\"prompt\":\"a red fox\"}.");
			}
			if (token != JsonToken.START_OBJECT) {
				throw malformed("The request body must be a JSON object such as {\"prompt\":\"a red fox\"}.");
			}
			while ((token = parser.nextToken()) == JsonToken.PROPERTY_NAME) {
				String name = parser.currentName();
				parser.nextToken();
				JsonNode value = this.valueReader.readValue(parser);
				raw.computeIfAbsent(name, (key) -> new ArrayList<>()).add(value);
			}
			if (token != JsonToken.END_OBJECT || parser.nextToken() != null) {
				throw malformed("The request body must contain exactly one JSON object.");
			}
		}
		catch (JacksonException ex) {
			String where = (ex.getLocation() != null)
					? " (line " + ex.getLocation().getLineNr() + ", column " + ex.getLocation().getColumnNr() + ")" : "";
			throw malformed("The request body is not valid JSON" + where + ": " + ex.getOriginalMessage());
		}
		return raw;
	}

	/**
	 * Validates fields read by {@link #jsonFields} (values are {@code JsonNode}s) or from a query (strings).
	 * @param raw each parameter name with its values
	 * @return the request
	 * @throws ApiProblem a {@code validation-error} naming every offending parameter
	 */
	public GenerateRequest fromFields(Map<String, List<Object>> raw) {
		return validate(raw);
	}

	private static ApiProblem malformed(String detail) {
		return ApiProblem.of(ProblemTypes.MALFORMED_JSON, 400, "Malformed JSON body", detail);
	}

	private GenerateRequest validate(Map<String, List<Object>> raw) {
		List<InvalidParameter> errors = new ArrayList<>();
		raw.forEach((name, values) -> {
			if (!UnicodeText.isValid(name)) {
				errors.add(new InvalidParameter(UnicodeText.escapeSurrogates(name),
						"the name is not valid Unicode (it contains a lone surrogate); " + ALLOWED));
			}
			else if (!PARAMETERS.contains(name)) {
				errors.add(new InvalidParameter(name, "unknown parameter; " + ALLOWED));
			}
			else if (values.size() > 1) {
				errors.add(new InvalidParameter(name,
						"given " + values.size() + " times; give it at most once (" + ALLOWED + ")"));
			}
		});
		String prompt = text(raw, "prompt", null, true, errors);
		String negativePrompt = text(raw, "negative_prompt", "", false, errors);
		Long seed = seed(raw, errors);
		Double guidance = guidance(raw, errors);
		Shape shape = choice(raw, "shape", Shape.SQUARE, Shape::parse, "portrait, landscape, square", errors);
		ImageFormat format = choice(raw, "format", ImageFormat.PNG, ImageFormat::parse, "png, jpeg", errors);
		if (!errors.isEmpty()) {
			errors.sort((a, b) -> Integer.compare(order(a.parameter()), order(b.parameter())));
			throw ApiProblem.validation(errors);
		}
		return new GenerateRequest(prompt, negativePrompt, seed, guidance, shape, format);
	}

	private static int order(String parameter) {
		int index = PARAMETERS.indexOf(parameter);
		return (index >= 0) ? index : PARAMETERS.size();
	}

	/** The single value of a known parameter; absent when missing, repeated (reported) or JSON null. */
	private static Object single(Map<String, List<Object>> raw, String name) {
		List<Object> values = raw.get(name);
		if (values == null || values.size() != 1) {
			return null;
		}
		Object value = values.get(0);
		return (value instanceof JsonNode node && node.isNull()) ? null : value;
	}

	private static boolean repeated(Map<String, List<Object>> raw, String name) {
		List<Object> values = raw.get(name);
		return values != null && values.size() > 1;
	}

	private String text(Map<String, List<Object>> raw, String name, String fallback, boolean required,
			List<InvalidParameter> errors) {
		Object value = single(raw, name);
		if (value == null) {
			if (required && !repeated(raw, name)) {
				errors.add(new InvalidParameter(name, "is required; describe the image, e.g. " + name + "=a red fox"));
			}
			return fallback;
		}
		String text;
		if (value instanceof String string) {
			text = string;
		}
		else if (value instanceof JsonNode node && node.isString()) {
			text = node.stringValue();
		}
		else {
			errors.add(new InvalidParameter(name, "must be a string"));
			return fallback;
		}
		if (!UnicodeText.isValid(text)) {
			// Never replaced by U+FFFD or '?': the caller would get an image of a prompt it did not write.
			errors.add(new InvalidParameter(name, "must be valid Unicode text; it contains a lone surrogate"));
			return fallback;
		}
		String trimmed = text.strip();
		if (required && trimmed.isEmpty()) {
			errors.add(new InvalidParameter(name, "must not be blank"));
			return fallback;
		}
		int length = trimmed.codePointCount(0, trimmed.length());
		if (length > this.maxPromptLength) {
			errors.add(new InvalidParameter(name,
					"must be at most " + this.maxPromptLength + " characters long (got " + length + ")"));
			return fallback;
		}
		return trimmed;
	}

	private static Long seed(Map<String, List<Object>> raw, List<InvalidParameter> errors) {
		Object value = single(raw, "seed");
		if (value == null) {
			return GenerateRequest.RANDOM_SEED;
		}
		BigInteger number = null;
		if (value instanceof String string && INTEGER.matcher(string).matches()) {
			// Anything this long is out of range anyway; do not spend CPU parsing a huge number.
			number = (string.length() <= 20) ? new BigInteger(string) : BigInteger.TEN.pow(20);
		}
		else if (value instanceof JsonNode node && node.isIntegralNumber()) {
			number = node.bigIntegerValue();
		}
		if (number == null) {
			errors.add(new InvalidParameter("seed", "must be an integer: -1 (random) or 0..2147483647"));
			return GenerateRequest.RANDOM_SEED;
		}
		if (!number.equals(BigInteger.valueOf(GenerateRequest.RANDOM_SEED))
				&& (number.signum() < 0 || number.compareTo(BigInteger.valueOf(MAX_SEED)) > 0)) {
			errors.add(new InvalidParameter("seed", "must be -1 (random) or between 0 and 2147483647"));
			return GenerateRequest.RANDOM_SEED;
		}
		return number.longValue();
	}

	private static Double guidance(Map<String, List<Object>> raw, List<InvalidParameter> errors) {
		Object value = single(raw, "guidance_scale");
		if (value == null) {
			return DEFAULT_GUIDANCE;
		}
		BigDecimal number = null;
		if (value instanceof String string && string.length() <= 64 && DECIMAL.matcher(string).matches()) {
			try {
				number = new BigDecimal(string);
			}
			catch (NumberFormatException ex) {
				// An exponent beyond int range: not a usable number.
			}
		}
		else if (value instanceof JsonNode node && node.isNumber()) {
			// 1e400 reads as an infinite double, which has no decimal value.
			if (!node.isFloatingPointNumber() || Double.isFinite(node.doubleValue()) || node.isBigDecimal()) {
				number = node.decimalValue();
			}
		}
		if (number == null) {
			errors.add(new InvalidParameter("guidance_scale", "must be a number between 1.0 and 30.0"));
			return DEFAULT_GUIDANCE;
		}
		if (number.compareTo(BigDecimal.valueOf(MIN_GUIDANCE)) < 0 || number.compareTo(BigDecimal.valueOf(MAX_GUIDANCE)) > 0) {
			errors.add(new InvalidParameter("guidance_scale", "must be between 1.0 and 30.0"));
			return DEFAULT_GUIDANCE;
		}
		return number.doubleValue();
	}

	private static <T> T choice(Map<String, List<Object>> raw, String name, T fallback,
			java.util.function.Function<String, T> parse, String allowed, List<InvalidParameter> errors) {
		Object value = single(raw, name);
		if (value == null) {
			return fallback;
		}
		String text = (value instanceof String string) ? string
				: ((value instanceof JsonNode node && node.isString()) ? node.stringValue() : null);
		T parsed = (text != null) ? parse.apply(text) : null;
		if (parsed == null) {
			errors.add(new InvalidParameter(name, "must be one of " + allowed + " (case-insensitive)"));
			return fallback;
		}
		return parsed;
	}

}

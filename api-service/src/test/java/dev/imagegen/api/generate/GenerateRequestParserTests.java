package dev.imagegen.api.generate;

import java.util.List;

import net.jqwik.api.Example;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.StringLength;
import tools.jackson.databind.json.JsonMapper;

import dev.imagegen.api.problem.ApiProblem;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.util.MultiValueMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Properties of the parameter rules: every value inside the documented ranges is accepted unchanged,
 * every value outside is rejected naming exactly that parameter, and query and JSON agree.
 */
class GenerateRequestParserTests {

	private final JsonMapper json = JsonMapper.builder().build();

	private final GenerateRequestParser parser = new GenerateRequestParser(1000, this.json);

	private static MultiValueMap<String, String> query(String... pairs) {
		MultiValueMap<String, String> query = new LinkedMultiValueMap<>();
		for (int i = 0; i < pairs.length; i += 2) {
			query.add(pairs[i], pairs[i + 1]);
		}
		return query;
	}

	private List<String> rejected(MultiValueMap<String, String> query) {
		try {
			this.parser.fromQuery(query);
			return List.of();
		}
		catch (ApiProblem problem) {
			return problem.errors().stream().map((error) -> error.parameter()).toList();
		}
	}

	@Property(tries = 200)
	void validSeedsAreAccepted(@ForAll @LongRange(min = -1, max = 2147483647L) long seed) {
		assertThat(this.parser.fromQuery(query("prompt", "x", "seed", Long.toString(seed))).seed()).isEqualTo(seed);
	}

	@Property(tries = 200)
	void seedsOutsideTheRangeAreRejected(@ForAll("badSeeds") long seed) {
		assertThat(rejected(query("prompt", "x", "seed", Long.toString(seed)))).containsExactly("seed");
	}

	@Provide
	Arbitrary<Long> badSeeds() {
		return Arbitraries.oneOf(Arbitraries.longs().between(Long.MIN_VALUE, -2),
				Arbitraries.longs().between(2147483648L, Long.MAX_VALUE));
	}

	@Property(tries = 200)
	void guidanceInsideTheRangeIsAcceptedAsGiven(@ForAll @DoubleRange(min = 1.0, max = 30.0) double guidance) {
		assertThat(this.parser.fromQuery(query("prompt", "x", "guidance_scale", Double.toString(guidance)))
			.guidanceScale()).isEqualTo(guidance);
	}

	@Property(tries = 200)
	void guidanceOutsideTheRangeIsRejected(@ForAll("badGuidance") double guidance) {
		assertThat(rejected(query("prompt", "x", "guidance_scale", Double.toString(guidance))))
			.containsExactly("guidance_scale");
	}

	@Provide
	Arbitrary<Double> badGuidance() {
		return Arbitraries.oneOf(Arbitraries.doubles().between(-1e6, 0.9999).ofScale(4), Arbitraries.doubles().between(30.0001, 1e6).ofScale(4));
	}

	@Property(tries = 200)
	void promptsUpToTheLimitAreAcceptedTrimmed(@ForAll @StringLength(min = 1, max = 1000) String text) {
		String prompt = "p" + text.substring(1);
		assertThat(this.parser.fromQuery(query("prompt", "  " + prompt + " ")).prompt()).isEqualTo(prompt.strip());
	}

	@Property(tries = 50)
	void promptsOverTheLimitAreRejected(@ForAll @IntRange(min = 1001, max = 5000) int length) {
		assertThat(rejected(query("prompt", "y".repeat(length)))).containsExactly("prompt");
	}

	@Property(tries = 100)
	void shapeAndFormatAreCaseInsensitive(@ForAll("shapes") String shape, @ForAll("formats") String format) {
		GenerateRequest request = this.parser.fromQuery(query("prompt", "x", "shape", shape, "format", format));
		assertThat(request.shape().wireName()).isEqualToIgnoringCase(shape);
		assertThat(request.format().wireName()).isEqualToIgnoringCase(format);
	}

	@Provide
	Arbitrary<String> shapes() {
		return mixedCase(Arbitraries.of("portrait", "landscape", "square"));
	}

	@Provide
	Arbitrary<String> formats() {
		return mixedCase(Arbitraries.of("png", "jpeg"));
	}

	private static Arbitrary<String> mixedCase(Arbitrary<String> words) {
		return words.flatMap((word) -> Arbitraries.integers().between(0, (1 << word.length()) - 1).map((mask) -> {
			StringBuilder result = new StringBuilder();
			for (int i = 0; i < word.length(); i++) {
				char c = word.charAt(i);
				result.append(((mask >> i) & 1) == 1 ? Character.toUpperCase(c) : c);
			}
			return result.toString();
		}));
	}

	@Property(tries = 100)
	void unknownParametersAreAlwaysNamed(@ForAll("unknownNames") String name) {
		assertThat(rejected(query("prompt", "x", name, "1"))).containsExactly(name);
	}

	@Provide
	Arbitrary<String> unknownNames() {
		return Arbitraries.strings()
			.withCharRange('a', 'z')
			.withChars('_')
			.ofMinLength(1)
			.ofMaxLength(20)
			.filter((name) -> !GenerateRequestParser.PARAMETERS.contains(name));
	}

	@Property(tries = 100)
	void queryAndJsonAgree(@ForAll @LongRange(min = 0, max = 2147483647L) long seed,
			@ForAll @DoubleRange(min = 1.0, max = 30.0) double guidance, @ForAll("shapes") String shape) {
		GenerateRequest fromQuery = this.parser.fromQuery(query("prompt", "fox", "seed", Long.toString(seed),
				"guidance_scale", Double.toString(guidance), "shape", shape));
		String body = "{\"prompt\":\"fox\",\"seed\":" + seed + ",\"guidance_scale\":" + guidance + ",\"shape\":\"" + shape
				+ "\"}";
		GenerateRequest fromJson = this.parser.fromJson(body.getBytes());
		assertThat(fromJson).isEqualTo(fromQuery);
		assertThat(fromJson.fingerprint()).isEqualTo(fromQuery.fingerprint());
	}

	@Example
	void textsThatOnlyMoveANewlineBetweenPromptAndNegativePromptHaveDifferentFingerprints() {
		GenerateRequest one = new GenerateRequest("a\nb", "c", 1, 7.0, Shape.SQUARE, ImageFormat.PNG);
		GenerateRequest other = new GenerateRequest("a", "b\nc", 1, 7.0, Shape.SQUARE, ImageFormat.PNG);
		// Equal fingerprints would make the cache serve one request the other's image.
		assertThat(one.fingerprint()).isNotEqualTo(other.fingerprint());
	}

	@Property(tries = 20)
	void theLimitIsConfigurable(@ForAll @IntRange(min = 1, max = 50) int limit) {
		GenerateRequestParser limited = new GenerateRequestParser(limit, this.json);
		assertThat(limited.fromQuery(query("prompt", "z".repeat(limit))).prompt()).hasSize(limit);
		assertThatThrownBy(() -> limited.fromQuery(query("prompt", "z".repeat(limit + 1))))
			.isInstanceOf(ApiProblem.class);
	}

}

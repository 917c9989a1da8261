package dev.imagegen.api.problem;

import java.util.List;

import org.springframework.http.InvalidMediaTypeException;
import org.springframework.http.MediaType;

/**
 * Decides from the {@code Accept} header whether a client prefers a PNG over JSON, which is what an
 * {@code <img>} tag asks for ({@code image/avif,image/webp,image/apng,image/svg+xml,image/*,*&#47;*;q=0.8}).
 * A browser navigating to the URL, curl, and clients without {@code Accept} get JSON.
 */
final class AcceptPreference {

	private static final MediaType PROBLEM_JSON = MediaType.APPLICATION_PROBLEM_JSON;

	private AcceptPreference() {
	}

	/**
	 * Whether {@code image/png} has a strictly higher quality than any JSON type in the header.
	 * @param acceptHeaders the {@code Accept} header values
	 * @return {@code true} to answer with a PNG
	 */
	static boolean prefersImage(List<String> acceptHeaders) {
		if (acceptHeaders == null || acceptHeaders.isEmpty()) {
			return false;
		}
		List<MediaType> ranges;
		try {
			ranges = MediaType.parseMediaTypes(acceptHeaders);
		}
		catch (InvalidMediaTypeException ex) {
			return false;
		}
		double image = quality(ranges, MediaType.IMAGE_PNG);
		double json = Math.max(quality(ranges, PROBLEM_JSON), quality(ranges, MediaType.APPLICATION_JSON));
		return image > json;
	}

	/** RFC 9110 12.5.1: the most specific matching range decides the quality. */
	private static double quality(List<MediaType> ranges, MediaType type) {
		int bestSpecificity = -1;
		double quality = 0;
		for (MediaType range : ranges) {
			if (!range.includes(type)) {
				continue;
			}
			int specificity = range.isWildcardType() ? 0 : (range.isWildcardSubtype() ? 1 : 2);
			if (specificity > bestSpecificity) {
				bestSpecificity = specificity;
				quality = range.getQualityValue();
			}
			else if (specificity == bestSpecificity) {
				quality = Math.max(quality, range.getQualityValue());
			}
		}
		return quality;
	}

}

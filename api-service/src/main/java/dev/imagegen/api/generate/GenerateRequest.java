package dev.imagegen.api.generate;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A validated, normalized generation request.
 *
 * @param prompt the trimmed prompt
 * @param negativePrompt the trimmed negative prompt, possibly empty
 * @param seed {@code -1} for random, else 0..2147483647
 * @param guidanceScale 1.0..30.0
 * @param shape the shape
 * @param format the encoding
 */
public record GenerateRequest(String prompt, String negativePrompt, long seed, double guidanceScale, Shape shape,
		ImageFormat format) {

	/** The seed that means "pick one at random". */
	public static final long RANDOM_SEED = -1;

	/**
	 * Whether the caller fixed the seed (and so the image).
	 * @return {@code true} unless the seed is {@link #RANDOM_SEED}
	 */
	public boolean seedFixed() {
		return this.seed != RANDOM_SEED;
	}

	/**
	 * The same request with a concrete seed.
	 * @param newSeed the seed
	 * @return a copy with that seed
	 */
	public GenerateRequest withSeed(long newSeed) {
		return new GenerateRequest(this.prompt, this.negativePrompt, newSeed, this.guidanceScale, this.shape,
				this.format);
	}

	/**
	 * A digest of the normalized parameters: equal for requests that produce the same image, so it
	 * serves as the strong ETag and in the file name (which must not carry prompt text).
	 * @return 32 hex digits
	 */
	public String fingerprint() {
		// The texts are length-prefixed: they may contain newlines, and with a plain separator the prompt
		// "a\nb" + negative "c" would collide with "a" + "b\nc", and one would be served the other's image.
		String canonical = String.join("\n", "v2", this.prompt.length() + ":" + this.prompt,
				this.negativePrompt.length() + ":" + this.negativePrompt, Long.toString(this.seed),
				Double.toString(this.guidanceScale), this.shape.wireName(), this.format.wireName());
		try {
			byte[] digest = MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(StandardCharsets.UTF_8));
			return HexFormat.of().formatHex(digest, 0, 16);
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException("SHA-256 is required by every Java platform", ex);
		}
	}

}

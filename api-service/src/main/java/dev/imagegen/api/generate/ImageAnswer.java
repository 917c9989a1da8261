package dev.imagegen.api.generate;

import dev.imagegen.api.cache.StoredImage;
import org.springframework.http.ContentDisposition;
import org.springframework.http.HttpHeaders;
import org.springframework.http.ResponseEntity;

/**
 * The answer that carries an image, with the headers of {@code /generate} ({@code X-Seed}, {@code ETag},
 * {@code Content-Disposition}, {@code Cache-Control}, {@code X-Cache}, {@code Age}), for every route that serves
 * a generated image ({@code /generate}, {@code /jobs/{id}/image}), so that they never drift apart.
 */
public final class ImageAnswer {

	private ImageAnswer() {
	}

	/**
	 * The full answer for a generated or stored image.
	 * @param asked the request as the caller made it (a random seed gives {@code no-store}, no ETag)
	 * @param generated what the generator returned
	 * @return status 200, the headers and the image bytes
	 */
	public static ResponseEntity<byte[]> of(GenerateRequest asked, ImageGenerator.Generated generated) {
		ResponseEntity.BodyBuilder builder = generated.hit() ? hit(generated) : miss(asked, generated);
		return builder.body(generated.image().bytes());
	}

	static String etag(String fingerprint) {
		return "\"" + fingerprint + "\"";
	}

	/**
	 * A fresh image: cacheable by anyone, for ever, only when the caller fixed the seed (then it has an ETag).
	 */
	static ResponseEntity.BodyBuilder miss(GenerateRequest asked, ImageGenerator.Generated generated) {
		String etag = asked.seedFixed() ? etag(generated.fingerprint()) : null;
		return image(generated.request(), generated.image(), generated.fingerprint(), etag)
			.header(HttpHeaders.CACHE_CONTROL, (etag != null) ? GenerateController.IMMUTABLE : GenerateController.NO_STORE)
			.header(GenerateController.X_CACHE, "MISS");
	}

	/** A stored image for a fixed-seed request: the headers of a fresh answer plus {@code X-Cache} and {@code Age}. */
	static ResponseEntity.BodyBuilder hit(ImageGenerator.Generated generated) {
		return image(generated.request(), generated.image(), generated.fingerprint(), etag(generated.fingerprint()))
			.header(HttpHeaders.CACHE_CONTROL, GenerateController.IMMUTABLE)
			.header(GenerateController.X_CACHE, "HIT")
			.header(HttpHeaders.AGE, Long.toString(generated.age().toSeconds()));
	}

	/**
	 * The headers every image answer has. The body is the stored array itself: WebFlux wraps a {@code byte[]}
	 * in a buffer without copying, so a hit costs no allocation of the image's size.
	 */
	private static ResponseEntity.BodyBuilder image(GenerateRequest request, StoredImage image, String fingerprint,
			String etag) {
		String filename = "imagegen-" + fingerprint.substring(0, 12) + "-" + image.seed() + "."
				+ request.format().extension();
		ResponseEntity.BodyBuilder builder = ResponseEntity.ok()
			.contentType(image.mediaType())
			.contentLength(image.bytes().length)
			.header("X-Seed", Long.toString(image.seed()))
			.header(HttpHeaders.CONTENT_DISPOSITION, ContentDisposition.inline().filename(filename).build().toString());
		if (etag != null) {
			builder.eTag(etag);
		}
		return builder;
	}

}

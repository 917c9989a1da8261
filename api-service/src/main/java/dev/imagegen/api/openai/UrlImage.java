package dev.imagegen.api.openai;

import dev.imagegen.api.cache.StoredImage;
import dev.imagegen.api.generate.ImageGenerator;

/**
 * What {@code GET /v1/images/{name}} needs to answer an image: the image (bytes, type, seed), its fingerprint (the
 * {@code ETag}) and its file name ({@code Content-Disposition}). Nothing of the request beyond that, so that a
 * replica that did not generate it can serve it from the shared tier (docs/architecture.md, "Scale-out on Redis").
 *
 * @param image the image
 * @param fingerprint the fingerprint of the request with the seed used
 * @param filename {@code imagegen-<fingerprint, 12 chars>-<seed>.<png|jpg>}
 */
record UrlImage(StoredImage image, String fingerprint, String filename) {

	/**
	 * @param generated what the generator returned
	 * @return what its URL serves; the image itself is not copied
	 */
	static UrlImage of(ImageGenerator.Generated generated) {
		String filename = "imagegen-" + generated.fingerprint().substring(0, 12) + "-" + generated.image().seed() + "."
				+ generated.request().format().extension();
		return new UrlImage(generated.image(), generated.fingerprint(), filename);
	}

}

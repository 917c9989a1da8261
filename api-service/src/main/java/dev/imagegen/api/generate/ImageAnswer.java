package dev.imagegen.api.generate;

import dev.imagegen.api.cache.StoredImage;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferFactory;
import org.springframework.http.ContentDisposition;
import org.springframework.http.HttpHeaders;
import org.springframework.http.ResponseEntity;
import org.springframework.web.server.ServerWebExchange;

/**
 * The answer that carries an image, with the headers of {@code /generate} ({@code X-Seed}, {@code ETag},
 * {@code Content-Disposition}, {@code Cache-Control}, {@code X-Cache}, {@code Age}), for every route that serves
 * a generated image ({@code /generate}, {@code /jobs/{id}/image}), so that they never drift apart.
 */
public final class ImageAnswer {

	private ImageAnswer() {
	}

	/**
	 * The full answer for a generated or stored image. It consumes the image's reference (a cache hit's, a job's
	 * image as read): the body holds its own until written (see {@link StoredImage}), so the memory of an image
	 * dropped meanwhile is freed as soon as this answer has been sent.
	 * @param asked the request as the caller made it (a random seed gives {@code no-store}, no ETag)
	 * @param generated what the generator returned
	 * @param buffers the response's buffer factory
	 * @return status 200, the headers and the image
	 */
	public static ResponseEntity<DataBuffer> of(GenerateRequest asked, ImageGenerator.Generated generated,
			DataBufferFactory buffers) {
		ResponseEntity.BodyBuilder builder = generated.hit() ? hit(generated) : miss(asked, generated);
		try {
			// A view of the image as held (the cache's direct buffer, or the heap array a passing image arrived
			// in): never a copy here.
			return builder.body(generated.image().body(buffers));
		}
		finally {
			generated.image().release();
		}
	}

	/**
	 * The answer for an image to a request that may hold its ETag already ({@code If-None-Match}, weak comparison):
	 * then a {@code 304}, built without a body, and the image's reference is released; else {@link #of}. A body
	 * built and then not written (Spring answers 304 itself from a full answer) would keep its reference of the
	 * image's bytes until a garbage collection.
	 * @param asked the request as the caller made it
	 * @param generated what the generator (or the job store) returned
	 * @param exchange the exchange being answered
	 * @return status 304 or 200, with the headers of {@code /generate}
	 */
	public static ResponseEntity<DataBuffer> conditional(GenerateRequest asked, ImageGenerator.Generated generated,
			ServerWebExchange exchange) {
		String etag = generated.hit() ? etag(generated.fingerprint()) : missEtag(asked, generated);
		if (etag != null && GenerateController.matches(exchange.getRequest().getHeaders().get(HttpHeaders.IF_NONE_MATCH),
				etag)) {
			generated.image().release();
			return GenerateController.notModified(generated.request(), etag);
		}
		return of(asked, generated, exchange.getResponse().bufferFactory());
	}

	/**
	 * The headers of a hit without its body ({@code HEAD}); consumes the image's reference like {@link #of}.
	 * @param generated a stored image
	 * @return status 200 and the headers
	 */
	static ResponseEntity<DataBuffer> hitHeaders(ImageGenerator.Generated generated) {
		try {
			return hit(generated).build();
		}
		finally {
			generated.image().release();
		}
	}

	static String etag(String fingerprint) {
		return "\"" + fingerprint + "\"";
	}

	/**
	 * A fresh image: cacheable by anyone, for ever, only when the caller fixed the seed (then it has an ETag).
	 */
	static ResponseEntity.BodyBuilder miss(GenerateRequest asked, ImageGenerator.Generated generated) {
		String etag = missEtag(asked, generated);
		return image(generated.request(), generated.image(), generated.fingerprint(), etag)
			.header(HttpHeaders.CACHE_CONTROL, (etag != null) ? GenerateController.IMMUTABLE : GenerateController.NO_STORE)
			.header(GenerateController.X_CACHE, "MISS");
	}

	/** A fresh image's ETag: only when the caller fixed the seed (a random seed's image is not asked for again). */
	private static String missEtag(GenerateRequest asked, ImageGenerator.Generated generated) {
		return asked.seedFixed() ? etag(generated.fingerprint()) : null;
	}

	/** A stored image for a fixed-seed request: the headers of a fresh answer plus {@code X-Cache} and {@code Age}. */
	static ResponseEntity.BodyBuilder hit(ImageGenerator.Generated generated) {
		return image(generated.request(), generated.image(), generated.fingerprint(), etag(generated.fingerprint()))
			.header(HttpHeaders.CACHE_CONTROL, GenerateController.IMMUTABLE)
			.header(GenerateController.X_CACHE, "HIT")
			.header(HttpHeaders.AGE, Long.toString(generated.age().toSeconds()));
	}

	/**
	 * The headers every image answer has. A hit's body is a view of the stored direct buffer (see
	 * {@link StoredImage}): it costs neither an allocation nor a copy of the image's size.
	 */
	private static ResponseEntity.BodyBuilder image(GenerateRequest request, StoredImage image, String fingerprint,
			String etag) {
		String filename = "imagegen-" + fingerprint.substring(0, 12) + "-" + image.seed() + "."
				+ request.format().extension();
		ResponseEntity.BodyBuilder builder = ResponseEntity.ok()
			.contentType(image.mediaType())
			.contentLength(image.size())
			.header("X-Seed", Long.toString(image.seed()))
			.header(HttpHeaders.CONTENT_DISPOSITION, ContentDisposition.inline().filename(filename).build().toString());
		if (etag != null) {
			builder.eTag(etag);
		}
		return builder;
	}

}

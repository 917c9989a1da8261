package dev.imagegen.worker.browser;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Locale;
import java.util.regex.Pattern;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

import dev.imagegen.worker.job.GenerationSpec;
import dev.imagegen.worker.job.UpstreamImage;
import dev.imagegen.worker.problem.Problem;
import dev.imagegen.worker.problem.WorkerException;

import static dev.imagegen.worker.browser.UpstreamCalls.text;

/**
 * Fetching and checking the image of a successful generate answer (docs/perchance-protocol.md, section 3):
 * the download URL with its retries, the legacy path, SHA-256 equal to {@code imageId}, and exactly the
 * requested size read from the image's header.
 */
final class ImageDownload {

	private static final Logger log = LoggerFactory.getLogger(ImageDownload.class);

	static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");

	private final UpstreamCalls calls;

	ImageDownload(UpstreamCalls calls) {
		this.calls = calls;
	}

	UpstreamImage download(GenerationSpec spec, JsonNode success, Budget budget) {
		String imageId = text(success, "imageId");
		if (imageId != null) {
			imageId = imageId.toLowerCase(Locale.ROOT);
		}
		if (imageId == null || !HEX64.matcher(imageId).matches()) {
			throw this.calls.protocolChanged("generate succeeded without a readable imageId");
		}
		String downloadUrl = text(success, "imageDownloadUrl");
		JsonNode seedNode = success.get("seed");
		long seed = (seedNode != null && seedNode.isNumber()) ? seedNode.asLong() : spec.seed();
		boolean maybeNsfw = success.has("maybeNsfw") && success.get("maybeNsfw").asBoolean(false);
		String extension = text(success, "fileExtension");
		String base = this.calls.perchance().base().toString();
		String session = this.calls.session();

		String failure = "no download URL";
		if (downloadUrl != null && downloadUrl.startsWith("/")) {
			for (int attempt = 1; attempt <= this.calls.retry().downloadAttempts(); attempt++) {
				if (attempt > 1) {
					budget.sleep(this.calls.retry().downloadBackoff(), "retrying the download");
				}
				budget.check();
				UpstreamResponse response = this.calls.fetch("GET", base + downloadUrl, null, true, budget);
				failure = checkDownload(response, imageId, budget);
				if (failure == null) {
					return decode(spec, response, imageId, seed, maybeNsfw, extension);
				}
				log.info("Session {}: download attempt {} failed: {}", session, attempt, failure);
			}
		}
		budget.check();
		UpstreamResponse legacy = this.calls.fetch("GET", base + "/api/downloadTemporaryImage?imageId=" + imageId, null,
				true, budget);
		String legacyFailure = checkDownload(legacy, imageId, budget);
		if (legacyFailure == null) {
			return decode(spec, legacy, imageId, seed, maybeNsfw, extension);
		}
		log.warn("Session {}: downloading image {} failed: {}; legacy download: {}", session, imageId, failure,
				legacyFailure);
		throw new WorkerException(Problem.UPSTREAM_FAILURE,
				"Downloading the image from Perchance failed; see the worker log for the request id");
	}

	private String checkDownload(UpstreamResponse response, String imageId, Budget budget) {
		this.calls.stopIfBlocked("download", "the image download", response);
		if (!response.answered()) {
			budget.checkDeadline("downloading the image");
			return "connection failed (" + response.error() + ")";
		}
		if (response.httpStatus() != 200 || response.bytes() == null) {
			return "HTTP " + response.httpStatus();
		}
		String actual = sha256(response.bytes());
		if (!actual.equals(imageId)) {
			return "SHA-256 mismatch (expected " + imageId + ", got " + actual + ")";
		}
		return null;
	}

	/**
	 * Checks the image's size from its header (ImageReader), without decoding the pixels on the session
	 * thread: a JPEG returned as it is never needs them, a transcoding decodes them on an encoder thread.
	 */
	private UpstreamImage decode(GenerationSpec spec, UpstreamResponse response, String imageId, long seed,
			boolean maybeNsfw, String extension) {
		int width = -1;
		int height = -1;
		try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(response.bytes()))) {
			Iterator<ImageReader> readers = (in != null) ? ImageIO.getImageReaders(in) : Collections.emptyIterator();
			if (readers.hasNext()) {
				ImageReader reader = readers.next();
				try {
					reader.setInput(in, true, true);
					width = reader.getWidth(0);
					height = reader.getHeight(0);
				}
				finally {
					reader.dispose();
				}
			}
		}
		catch (IOException | RuntimeException ex) {
			width = -1;
		}
		if (width < 0 || height < 0) {
			log.warn("Session {}: the image could not be read (Content-Type {})", this.calls.session(),
					response.contentType());
			throw new WorkerException(Problem.UPSTREAM_FAILURE, "The upstream image could not be decoded");
		}
		if (width != spec.shape().width() || height != spec.shape().height()) {
			throw new WorkerException(Problem.UPSTREAM_FAILURE, "The upstream image is " + width + "x" + height
					+ ", expected " + spec.shape().resolution());
		}
		return new UpstreamImage(response.bytes(), mediaType(response.contentType(), extension), width, height, imageId,
				seed, maybeNsfw);
	}

	private static String mediaType(String contentType, String extension) {
		if (contentType != null && contentType.toLowerCase(Locale.ROOT).startsWith("image/")) {
			return contentType.split(";")[0].trim().toLowerCase(Locale.ROOT);
		}
		if (extension != null && !extension.isBlank()) {
			String ext = extension.toLowerCase(Locale.ROOT);
			return "image/" + ("jpg".equals(ext) ? "jpeg" : ext);
		}
		return "image/jpeg";
	}

	static String sha256(byte[] bytes) {
		try {
			return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException(ex);
		}
	}

}

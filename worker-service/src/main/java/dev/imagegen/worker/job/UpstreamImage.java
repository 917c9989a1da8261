package dev.imagegen.worker.job;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

import javax.imageio.ImageIO;

/**
 * An image as Perchance delivered it, already checked (SHA-256, and its size read from the image header).
 * The pixels are decoded only when a transcoding needs them, off the session thread.
 *
 * @param bytes the downloaded bytes
 * @param mediaType the media type upstream declared, e.g. {@code image/jpeg}
 * @param width width from the image header
 * @param height height from the image header
 * @param imageId upstream image id (SHA-256 of the bytes)
 * @param seed the seed upstream used
 * @param maybeNsfw upstream's NSFW hint
 */
public record UpstreamImage(byte[] bytes, String mediaType, int width, int height, String imageId, long seed,
		boolean maybeNsfw) {

	/**
	 * Decodes the pixels.
	 * @return the image
	 * @throws UncheckedIOException when the bytes cannot be decoded
	 */
	public BufferedImage decode() {
		try {
			BufferedImage image = ImageIO.read(new ByteArrayInputStream(this.bytes));
			if (image == null) {
				throw new IOException("no image reader for " + this.mediaType);
			}
			return image;
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

}

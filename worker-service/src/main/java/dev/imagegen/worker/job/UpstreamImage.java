package dev.imagegen.worker.job;

import java.awt.image.BufferedImage;

/**
 * An image as Perchance delivered it, already checked (SHA-256 and size).
 *
 * @param bytes the downloaded bytes
 * @param mediaType the media type upstream declared, e.g. {@code image/jpeg}
 * @param decoded the decoded pixels
 * @param imageId upstream image id (SHA-256 of the bytes)
 * @param seed the seed upstream used
 * @param maybeNsfw upstream's NSFW hint
 */
public record UpstreamImage(byte[] bytes, String mediaType, BufferedImage decoded, String imageId, long seed,
		boolean maybeNsfw) {
}

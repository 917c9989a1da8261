package dev.imagegen.api.worker;

import io.netty.buffer.ByteBuf;

import org.springframework.http.MediaType;

/**
 * Recognises PNG and JPEG by their first bytes, so that a worker cannot pass off something else (an
 * HTML error page, a truncated body) as an image.
 */
public final class ImageSignatures {

	private ImageSignatures() {
	}

	/**
	 * The image type the bytes really are.
	 * @param body the body, from its reader index; neither read nor released
	 * @return {@code image/png}, {@code image/jpeg}, or {@code null} for anything else
	 */
	public static MediaType sniff(ByteBuf body) {
		byte[] bytes = new byte[Math.min(8, body.readableBytes())];
		body.getBytes(body.readerIndex(), bytes);
		if (bytes.length >= 8 && (bytes[0] & 0xFF) == 0x89 && bytes[1] == 'P' && bytes[2] == 'N' && bytes[3] == 'G'
				&& bytes[4] == 0x0D && bytes[5] == 0x0A && bytes[6] == 0x1A && bytes[7] == 0x0A) {
			return MediaType.IMAGE_PNG;
		}
		if (bytes.length >= 3 && (bytes[0] & 0xFF) == 0xFF && (bytes[1] & 0xFF) == 0xD8 && (bytes[2] & 0xFF) == 0xFF) {
			return MediaType.IMAGE_JPEG;
		}
		return null;
	}

}

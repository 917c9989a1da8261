package dev.imagegen.api;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

import javax.imageio.ImageIO;

/**
 * Real PNG and JPEG bytes, drawn with ImageIO, for the WireMock worker to answer with.
 */
public final class ImageFixtures {

	private ImageFixtures() {
	}

	/**
	 * A small PNG.
	 * @return PNG bytes
	 */
	public static byte[] png() {
		return encode("png", 64, 48);
	}

	/**
	 * A small JPEG.
	 * @return JPEG bytes
	 */
	public static byte[] jpeg() {
		return encode("jpeg", 64, 48);
	}

	/**
	 * Decodes image bytes, failing when they are not a readable image.
	 * @param bytes the bytes
	 * @return the image
	 */
	public static BufferedImage decode(byte[] bytes) {
		try {
			BufferedImage image = ImageIO.read(new ByteArrayInputStream(bytes));
			if (image == null) {
				throw new IllegalArgumentException("not an image");
			}
			return image;
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	private static byte[] encode(String format, int width, int height) {
		BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
		Graphics2D g = image.createGraphics();
		g.setColor(new Color(200, 80, 30));
		g.fillRect(0, 0, width, height);
		g.setColor(Color.WHITE);
		g.fillOval(8, 8, width / 2, height / 2);
		g.dispose();
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		try {
			ImageIO.write(image, format, out);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		return out.toByteArray();
	}

}

package dev.imagegen.worker.generate;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Random;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;

import dev.imagegen.worker.job.ImageFormat;
import dev.imagegen.worker.job.UpstreamImage;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Transcoding rules: JPEG from JPEG is untouched, everything else is re-encoded losslessly (PNG) or as JPEG.
 */
class ImageEncoderTests {

	@Test
	void jpegFromJpegIsTheSameBytes() throws IOException {
		UpstreamImage upstream = upstream(encode(sample(BufferedImage.TYPE_INT_RGB), "jpeg"), "image/jpeg");

		assertThat(ImageEncoder.encode(upstream, ImageFormat.JPEG)).isSameAs(upstream.bytes());
	}

	@Test
	void pngKeepsEveryPixel() throws IOException {
		UpstreamImage upstream = upstream(encode(sample(BufferedImage.TYPE_INT_RGB), "jpeg"), "image/jpeg");

		BufferedImage png = ImageIO.read(new ByteArrayInputStream(ImageEncoder.encode(upstream, ImageFormat.PNG)));

		assertThat(png.getWidth()).isEqualTo(64);
		BufferedImage original = upstream.decode();
		for (int y = 0; y < 48; y += 7) {
			for (int x = 0; x < 64; x += 5) {
				assertThat(png.getRGB(x, y)).isEqualTo(original.getRGB(x, y));
			}
		}
	}

	@Test
	void aLargePngDeflatedOnSeveralCoresStillHoldsEveryPixel() throws IOException {
		// Large enough that the encoder splits the deflate into segments compressed in parallel.
		BufferedImage noise = new BufferedImage(1024, 1024, BufferedImage.TYPE_INT_RGB);
		Random random = new Random(7);
		for (int y = 0; y < noise.getHeight(); y++) {
			for (int x = 0; x < noise.getWidth(); x++) {
				noise.setRGB(x, y, random.nextInt(0x1000000));
			}
		}
		UpstreamImage upstream = upstream(encode(noise, "png"), "image/png");

		byte[] bytes = ImageEncoder.encode(upstream, ImageFormat.PNG);

		assertThat(bytes).startsWith(0x89, 'P', 'N', 'G');
		BufferedImage png = ImageIO.read(new ByteArrayInputStream(bytes));
		for (int y = 0; y < noise.getHeight(); y++) {
			for (int x = 0; x < noise.getWidth(); x++) {
				assertThat(png.getRGB(x, y)).isEqualTo(noise.getRGB(x, y));
			}
		}
	}

	@Test
	void anUpstreamPngWithAlphaKeepsItsAlpha() throws IOException {
		BufferedImage translucent = new BufferedImage(64, 48, BufferedImage.TYPE_INT_ARGB);
		for (int y = 0; y < 48; y++) {
			for (int x = 0; x < 64; x++) {
				translucent.setRGB(x, y, new Color(x * 4, y * 5, 90, (x * y) % 256).getRGB());
			}
		}
		UpstreamImage upstream = upstream(encode(translucent, "png"), "image/png");

		BufferedImage png = ImageIO.read(new ByteArrayInputStream(ImageEncoder.encode(upstream, ImageFormat.PNG)));

		assertThat(png.getColorModel().hasAlpha()).isTrue();
		for (int y = 0; y < 48; y += 3) {
			for (int x = 0; x < 64; x += 3) {
				assertThat(png.getRGB(x, y)).isEqualTo(translucent.getRGB(x, y));
			}
		}
	}

	@Test
	void otherUpstreamTypesAreTranscodedToJpeg() throws IOException {
		UpstreamImage upstream = upstream(encode(sample(BufferedImage.TYPE_INT_ARGB), "png"), "image/png");

		byte[] jpeg = ImageEncoder.encode(upstream, ImageFormat.JPEG);

		assertThat(jpeg).startsWith(0xFF, 0xD8);
		assertThat(ImageIO.read(new ByteArrayInputStream(jpeg)).getHeight()).isEqualTo(48);
	}

	private static BufferedImage sample(int type) {
		BufferedImage image = new BufferedImage(64, 48, type);
		for (int y = 0; y < 48; y++) {
			for (int x = 0; x < 64; x++) {
				image.setRGB(x, y, new Color(x * 4, y * 5, (x + y) % 256).getRGB());
			}
		}
		return image;
	}

	private static byte[] encode(BufferedImage image, String format) throws IOException {
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		ImageIO.write(image, format, out);
		return out.toByteArray();
	}

	private static UpstreamImage upstream(byte[] bytes, String mediaType) throws IOException {
		java.awt.image.BufferedImage image = ImageIO.read(new ByteArrayInputStream(bytes));
		return new UpstreamImage(bytes, mediaType, image.getWidth(), image.getHeight(), "id", 1, false);
	}

}

package dev.imagegen.worker.generate;

import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

import com.pngencoder.PngEncoder;

import dev.imagegen.worker.job.ImageFormat;
import dev.imagegen.worker.job.UpstreamImage;

/**
 * Produces the bytes the caller asked for: upstream JPEG untouched when JPEG was asked for, PNG with the
 * pngencoder library, JPEG from another upstream type with ImageIO.
 */
final class ImageEncoder {

	/**
	 * A light deflate level: upstream images are photo-like and barely deflate, so level 2 is as small as ImageIO's
	 * best setting and several times faster; its deflate runs on all cores (docs/benchmarks.md, "PNG transcode").
	 */
	private static final int PNG_DEFLATE_LEVEL = 2;

	private static final float JPEG_QUALITY = 0.92f;

	private ImageEncoder() {
	}

	static byte[] encode(UpstreamImage image, ImageFormat format) {
		if (format == ImageFormat.JPEG && "image/jpeg".equals(image.mediaType())) {
			return image.bytes();
		}
		BufferedImage pixels = image.decode();
		if (format == ImageFormat.PNG) {
			return new PngEncoder().withBufferedImage(pixels).withCompressionLevel(PNG_DEFLATE_LEVEL).toBytes();
		}
		if (format == ImageFormat.JPEG && pixels.getType() != BufferedImage.TYPE_INT_RGB
				&& pixels.getType() != BufferedImage.TYPE_3BYTE_BGR) {
			// The JPEG writer cannot store alpha.
			BufferedImage rgb = new BufferedImage(pixels.getWidth(), pixels.getHeight(), BufferedImage.TYPE_INT_RGB);
			Graphics2D g = rgb.createGraphics();
			g.drawImage(pixels, 0, 0, null);
			g.dispose();
			pixels = rgb;
		}
		ByteArrayOutputStream out = new ByteArrayOutputStream(1024 * 1024);
		ImageWriter writer = ImageIO.getImageWritersByFormatName(format.imageIoName()).next();
		try (ImageOutputStream stream = ImageIO.createImageOutputStream(out)) {
			writer.setOutput(stream);
			ImageWriteParam param = writer.getDefaultWriteParam();
			if (param.canWriteCompressed()) {
				// Only for non-JPEG upstream images: high quality.
				param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
				param.setCompressionQuality(JPEG_QUALITY);
			}
			writer.write(null, new IIOImage(pixels, null, null), param);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		finally {
			writer.dispose();
		}
		return out.toByteArray();
	}

}

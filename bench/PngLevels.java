import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.util.Arrays;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

/**
 * The worker's PNG transcode, measured alone: decode of an upstream JPEG, then ImageIO's PNG writer at several
 * compression qualities, and the pngencoder library (what the worker's ImageEncoder uses) at several deflate
 * levels, single- and multi-threaded, with size and p50 time of each. The JPEG comes from the emulator's renderer
 * (its jar on the class path), 768x768 like a square generation.
 *
 *   java -cp perchance-emulator/target/perchance-emulator-0.1.0-SNAPSHOT.jar:$HOME/.m2/repository/com/pngencoder/pngencoder/0.15.0/pngencoder-0.15.0.jar \
 *        bench/PngLevels.java [rounds]
 */
public class PngLevels {

	public static void main(String[] args) throws Exception {
		int rounds = (args.length > 0) ? Integer.parseInt(args[0]) : 15;
		Class<?> renderer = Class.forName("dev.imagegen.emulator.ImageRenderer");
		Constructor<?> constructor = renderer.getDeclaredConstructor();
		constructor.setAccessible(true);
		Method render = renderer.getDeclaredMethod("render", String.class, String.class, long.class, int.class,
				int.class, double.class);
		render.setAccessible(true);
		byte[] jpeg = (byte[]) render.invoke(constructor.newInstance(), "a red fox in the snow, photo", "", 42L, 768,
				768, 7.0);
		long[] decode = new long[rounds];
		BufferedImage pixels = null;
		for (int i = 0; i < rounds; i++) {
			long t = System.nanoTime();
			pixels = ImageIO.read(new ByteArrayInputStream(jpeg));
			decode[i] = System.nanoTime() - t;
		}
		System.out.printf("upstream JPEG %d bytes, decode p50 %.1f ms%n", jpeg.length, p50(decode));
		System.out.println("| PNG compression quality | size | encode p50 |");
		System.out.println("|---:|---:|---:|");
		for (float quality : new float[] { 1.0f, 0.9f, 0.75f, 0.5f, 0.25f, 0.0f }) {
			long[] times = new long[rounds];
			int size = 0;
			for (int i = 0; i < rounds; i++) {
				long t = System.nanoTime();
				size = png(pixels, quality).length;
				times[i] = System.nanoTime() - t;
			}
			System.out.printf("| %.2f | %,d bytes | %.1f ms |%n", quality, size, p50(times));
		}
		System.out.println();
		System.out.println("| pngencoder deflate level | threads | size | encode p50 |");
		System.out.println("|---:|---|---:|---:|");
		for (int level : new int[] { 1, 2, 4, 6 }) {
			for (boolean multi : new boolean[] { false, true }) {
				long[] times = new long[rounds];
				int size = 0;
				for (int i = 0; i < rounds; i++) {
					long t = System.nanoTime();
					size = new com.pngencoder.PngEncoder().withBufferedImage(pixels)
						.withCompressionLevel(level)
						.withMultiThreadedCompressionEnabled(multi)
						.toBytes().length;
					times[i] = System.nanoTime() - t;
				}
				System.out.printf("| %d | %s | %,d bytes | %.1f ms |%n", level, multi ? "all cores" : "one", size,
						p50(times));
			}
		}
	}

	private static byte[] png(BufferedImage pixels, float quality) throws Exception {
		ByteArrayOutputStream out = new ByteArrayOutputStream(1024 * 1024);
		ImageWriter writer = ImageIO.getImageWritersByFormatName("png").next();
		try (ImageOutputStream stream = ImageIO.createImageOutputStream(out)) {
			writer.setOutput(stream);
			ImageWriteParam param = writer.getDefaultWriteParam();
			param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
			param.setCompressionQuality(quality);
			writer.write(null, new IIOImage(pixels, null, null), param);
		}
		finally {
			writer.dispose();
		}
		return out.toByteArray();
	}

	private static double p50(long[] nanos) {
		long[] sorted = nanos.clone();
		Arrays.sort(sorted);
		return sorted[sorted.length / 2] / 1e6;
	}

}

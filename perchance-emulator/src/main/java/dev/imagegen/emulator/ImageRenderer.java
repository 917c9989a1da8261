package dev.imagegen.emulator;

import java.awt.AlphaComposite;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * Draws the placeholder image: a seed-coloured gradient with a wave pattern and fine grain (so the JPEG
 * weighs about what a real one does), the prompt, and the word EMULATOR. Everything derives from the
 * inputs, so the same inputs give the same bytes.
 */
final class ImageRenderer {

    static {
        // Before the first AWT class loads: the emulator runs on servers and in CI without a display.
        System.setProperty("java.awt.headless", "true");
    }

    private static final System.Logger LOG = System.getLogger(ImageRenderer.class.getName());

    private static final float JPEG_QUALITY = 0.82f;

    private static volatile boolean fontWarningGiven;

    private static final int MAX_PROMPT_LINES = 6;

    /**
     * Renders the JPEG.
     *
     * @param seed the concrete seed (never -1 here)
     */
    byte[] render(String prompt, String negativePrompt, long seed, int width, int height, double guidanceScale) {
        long mix = mix(prompt, negativePrompt, seed, width, height, guidanceScale);
        SplittableRandom rnd = new SplittableRandom(mix);
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        paintBackground(image, rnd);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            paintShapes(g, rnd, width, height);
            try {
                paintText(g, prompt, seed, width, height);
            }
            catch (RuntimeException | LinkageError | InternalError ex) {
                // A runtime without usable fonts (no fontconfig, no font files) still gets valid images.
                if (!fontWarningGiven) {
                    fontWarningGiven = true;
                    LOG.log(System.Logger.Level.WARNING, "cannot draw text into emulator images (fonts missing?): " + ex);
                }
            }
        }
        finally {
            g.dispose();
        }
        return jpeg(image);
    }

    private static void paintBackground(BufferedImage image, SplittableRandom rnd) {
        int w = image.getWidth();
        int h = image.getHeight();
        int[] px = ((DataBufferInt) image.getRaster().getDataBuffer()).getData();
        int[] a = { 40 + rnd.nextInt(180), 40 + rnd.nextInt(180), 40 + rnd.nextInt(180) };
        int[] b = { 40 + rnd.nextInt(180), 40 + rnd.nextInt(180), 40 + rnd.nextInt(180) };
        double fx = 0.01 + rnd.nextDouble() * 0.04;
        double fy = 0.01 + rnd.nextDouble() * 0.04;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double t = (double) (x + y) / (w + h);
                int wave = (int) (22 * Math.sin(x * fx + Math.cos(y * fy) * 3));
                int grain = rnd.nextInt(19) - 9;
                int r = clamp((int) (a[0] + (b[0] - a[0]) * t) + wave + grain);
                int gr = clamp((int) (a[1] + (b[1] - a[1]) * t) - wave + grain);
                int bl = clamp((int) (a[2] + (b[2] - a[2]) * t) + wave / 2 + grain);
                px[y * w + x] = (r << 16) | (gr << 8) | bl;
            }
        }
    }

    private static void paintShapes(Graphics2D g, SplittableRandom rnd, int w, int h) {
        g.setComposite(AlphaComposite.getInstance(AlphaComposite.SRC_OVER, 0.35f));
        for (int i = 0; i < 7; i++) {
            g.setColor(new Color(rnd.nextInt(256), rnd.nextInt(256), rnd.nextInt(256)));
            int d = 60 + rnd.nextInt(Math.min(w, h) / 2);
            g.fillOval(rnd.nextInt(w) - d / 2, rnd.nextInt(h) - d / 2, d, d);
        }
        g.setComposite(AlphaComposite.SrcOver);
    }

    private static void paintText(Graphics2D g, String prompt, long seed, int w, int h) {
        Font banner = new Font(Font.SANS_SERIF, Font.BOLD, w / 7);
        g.setFont(banner);
        FontMetrics bm = g.getFontMetrics();
        String word = "EMULATOR";
        int bx = (w - bm.stringWidth(word)) / 2;
        int by = h / 4 + bm.getAscent() / 2;
        g.setColor(new Color(0, 0, 0, 150));
        g.drawString(word, bx + 3, by + 3);
        g.setColor(Color.WHITE);
        g.drawString(word, bx, by);

        Font body = new Font(Font.SANS_SERIF, Font.PLAIN, Math.max(14, w / 28));
        g.setFont(body);
        FontMetrics fm = g.getFontMetrics();
        int margin = w / 16;
        List<String> lines = wrap(prompt.strip().replaceAll("\\s+", " "), fm, w - 2 * margin);
        lines.add("seed " + seed + " \u00b7 " + w + "x" + h);
        int lineHeight = fm.getHeight();
        int boxHeight = lines.size() * lineHeight + lineHeight;
        int top = h - boxHeight - margin / 2;
        g.setColor(new Color(0, 0, 0, 140));
        g.fillRoundRect(margin / 2, top, w - margin, boxHeight, 16, 16);
        g.setColor(Color.WHITE);
        int y = top + lineHeight / 2 + fm.getAscent();
        for (String line : lines) {
            g.drawString(line, margin, y);
            y += lineHeight;
        }
    }

    /** Greedy word wrap; the last line ends in an ellipsis when the prompt does not fit. */
    private static List<String> wrap(String text, FontMetrics fm, int maxWidth) {
        List<String> lines = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (String word : text.split(" ")) {
            String candidate = line.isEmpty() ? word : line + " " + word;
            if (fm.stringWidth(candidate) <= maxWidth) {
                line.setLength(0);
                line.append(candidate);
                continue;
            }
            if (!line.isEmpty()) {
                lines.add(line.toString());
                line.setLength(0);
            }
            String rest = word;
            while (fm.stringWidth(rest) > maxWidth && rest.length() > 1) {
                int cut = rest.length() - 1;
                while (cut > 1 && fm.stringWidth(rest.substring(0, cut)) > maxWidth) {
                    cut--;
                }
                lines.add(rest.substring(0, cut));
                rest = rest.substring(cut);
            }
            line.append(rest);
            if (lines.size() > MAX_PROMPT_LINES) {
                break;
            }
        }
        if (!line.isEmpty()) {
            lines.add(line.toString());
        }
        if (lines.size() > MAX_PROMPT_LINES) {
            List<String> kept = new ArrayList<>(lines.subList(0, MAX_PROMPT_LINES));
            String last = kept.get(MAX_PROMPT_LINES - 1);
            while (!last.isEmpty() && fm.stringWidth(last + "\u2026") > maxWidth) {
                last = last.substring(0, last.length() - 1);
            }
            kept.set(MAX_PROMPT_LINES - 1, last + "\u2026");
            return kept;
        }
        return lines;
    }

    private static byte[] jpeg(BufferedImage image) {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream out = new ByteArrayOutputStream(128 * 1024);
        try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality(JPEG_QUALITY);
            writer.setOutput(stream);
            writer.write(null, new IIOImage(image, null, null), param);
        }
        catch (IOException ex) {
            throw new UncheckedIOException("JPEG encoding into memory failed", ex);
        }
        finally {
            writer.dispose();
        }
        return out.toByteArray();
    }

    private static long mix(String prompt, String negativePrompt, long seed, int w, int h, double guidance) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(prompt.getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            sha.update(negativePrompt.getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            sha.update((seed + "|" + w + "x" + h + "|" + guidance).getBytes(StandardCharsets.UTF_8));
            return ByteBuffer.wrap(sha.digest()).getLong();
        }
        catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException("SHA-256 is part of every JDK", ex);
        }
    }

    private static int clamp(int v) {
        return v < 0 ? 0 : Math.min(255, v);
    }
}

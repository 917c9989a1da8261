package dev.imagegen.api.problem;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

import javax.imageio.ImageIO;

import org.springframework.http.HttpStatus;

/**
 * Draws a problem as a small PNG with readable text, for clients that asked for an image (an
 * {@code <img>} tag): a broken-image icon tells a person nothing, this picture tells them what to fix.
 * Uses Java2D only; Spring Boot runs with {@code java.awt.headless=true}.
 */
final class ErrorImageRenderer {

	static final int WIDTH = 640;

	static final int HEIGHT = 360;

	private static final int MARGIN = 28;

	private static final int MAX_DETAIL_LINES = 7;

	static {
		// ImageIO would otherwise buffer every encoded image through a temporary file.
		ImageIO.setUseCache(false);
	}

	/**
	 * Renders the problem.
	 * @param problem the problem to show
	 * @param requestId the request id, printed so that a person can quote it
	 * @return PNG bytes
	 */
	byte[] render(ApiProblem problem, String requestId) {
		BufferedImage image = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
		Graphics2D g = image.createGraphics();
		try {
			g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
			g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
			boolean clientError = problem.status() < 500;
			g.setColor(new Color(0xF7, 0xF3, 0xF0));
			g.fillRect(0, 0, WIDTH, HEIGHT);
			g.setColor(clientError ? new Color(0xB4, 0x5F, 0x06) : new Color(0xB0, 0x1E, 0x2D));
			g.fillRect(0, 0, WIDTH, 10);
			g.setStroke(new BasicStroke(2f));
			g.drawRect(1, 1, WIDTH - 3, HEIGHT - 3);

			int y = MARGIN + 30;
			g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 30));
			g.drawString(problem.status() + " " + reasonPhrase(problem.status()), MARGIN, y);

			g.setColor(new Color(0x22, 0x22, 0x22));
			g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 20));
			y += 40;
			for (String line : wrap(problem.title(), g.getFontMetrics(), 2)) {
				g.drawString(line, MARGIN, y);
				y += 26;
			}

			g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 16));
			y += 8;
			for (String line : wrap(problem.detail(), g.getFontMetrics(), MAX_DETAIL_LINES)) {
				g.drawString(line, MARGIN, y);
				y += 21;
			}

			g.setColor(new Color(0x66, 0x66, 0x66));
			g.setFont(new Font(Font.MONOSPACED, Font.PLAIN, 12));
			g.drawString("request id: " + requestId, MARGIN, HEIGHT - MARGIN + 8);
		}
		finally {
			g.dispose();
		}
		ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
		try {
			ImageIO.write(image, "png", out);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		return out.toByteArray();
	}

	private static String reasonPhrase(int status) {
		HttpStatus resolved = HttpStatus.resolve(status);
		return (resolved != null) ? resolved.getReasonPhrase() : "";
	}

	/** Greedy word wrap; words longer than a line are cut so that nothing runs off the picture. */
	private static List<String> wrap(String text, FontMetrics metrics, int maxLines) {
		List<String> lines = new ArrayList<>();
		if (text == null || text.isBlank()) {
			return lines;
		}
		int width = WIDTH - 2 * MARGIN;
		StringBuilder line = new StringBuilder();
		for (String word : text.trim().split("\\s+")) {
			String candidate = line.isEmpty() ? word : line + " " + word;
			if (metrics.stringWidth(candidate) <= width) {
				line.setLength(0);
				line.append(candidate);
				continue;
			}
			if (!line.isEmpty()) {
				lines.add(line.toString());
				line.setLength(0);
			}
			String rest = word;
			while (metrics.stringWidth(rest) > width) {
				int cut = rest.length() - 1;
				while (cut > 1 && metrics.stringWidth(rest.substring(0, cut)) > width) {
					cut--;
				}
				lines.add(rest.substring(0, cut));
				rest = rest.substring(cut);
			}
			line.append(rest);
		}
		if (!line.isEmpty()) {
			lines.add(line.toString());
		}
		if (lines.size() > maxLines) {
			List<String> shortened = new ArrayList<>(lines.subList(0, maxLines));
			shortened.set(maxLines - 1, shortened.get(maxLines - 1) + " …");
			return shortened;
		}
		return lines;
	}

}

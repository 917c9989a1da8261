package dev.imagegen.worker.browser;

import java.nio.file.Path;

/**
 * Turns a browser failure into the one-line text {@code /health} shows as {@code lastError}. Playwright's
 * messages are multi-line ({@code Error {\n  message='…'\n  name='…'\n  stack='…'}}): keeping only the first
 * line left {@code browser: ... Error {}, which says nothing. This keeps the whole message part, on one line,
 * without the stack and without the profile folder's path (public health carries no file system paths).
 */
final class BrowserFailures {

	/** Longest summary kept; the log has the whole failure. */
	static final int MAX_LENGTH = 600;

	private BrowserFailures() {
	}

	static String summary(String message, Path profileDir) {
		if (message == null || message.isBlank()) {
			return "unknown failure";
		}
		String text = message;
		int start = text.indexOf("message='");
		if (start >= 0) {
			int from = start + "message='".length();
			// The message part ends where the name or the stack begins (with or without a closing quote).
			int end = firstOf(text, from, "\n  name=", "\n  stack=", "\n}");
			String prefix = text.substring(0, start).replace("Error {", "").strip();
			String part = text.substring(from, (end >= 0) ? end : text.length()).strip();
			if (part.endsWith("'")) {
				part = part.substring(0, part.length() - 1);
			}
			text = (prefix.isEmpty() ? "" : prefix + " ") + part;
		}
		if (profileDir != null) {
			text = text.replace(profileDir.toAbsolutePath().toString(), "<profile-dir>")
				.replace(profileDir.toString(), "<profile-dir>");
		}
		text = text.replaceAll("\\s+", " ").strip();
		return (text.length() > MAX_LENGTH) ? text.substring(0, MAX_LENGTH) + "…" : text;
	}

	private static int firstOf(String text, int from, String... markers) {
		int best = -1;
		for (String marker : markers) {
			int at = text.indexOf(marker, from);
			if (at >= 0 && (best < 0 || at < best)) {
				best = at;
			}
		}
		return best;
	}

}

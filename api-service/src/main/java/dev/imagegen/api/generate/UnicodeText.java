package dev.imagegen.api.generate;

/**
 * Checks that a Java string is well-formed UTF-16, i.e. valid Unicode: a JSON escape such as
 * {@code "\ud800"} yields a lone surrogate, which no encoder can send on without replacing it.
 */
final class UnicodeText {

	private UnicodeText() {
	}

	/**
	 * Whether every surrogate in the text is part of a pair.
	 * @param text the text
	 * @return {@code true} for valid Unicode
	 */
	static boolean isValid(String text) {
		for (int i = 0; i < text.length(); i++) {
			char c = text.charAt(i);
			if (Character.isHighSurrogate(c)) {
				if (i + 1 >= text.length() || !Character.isLowSurrogate(text.charAt(i + 1))) {
					return false;
				}
				i++;
			}
			else if (Character.isLowSurrogate(c)) {
				return false;
			}
		}
		return true;
	}

	/**
	 * The text with each lone surrogate written as a {@code \\uXXXX} escape, so that it can be shown in
	 * a problem (a JSON writer cannot encode a lone surrogate).
	 * @param text the text
	 * @return printable, valid text
	 */
	static String escapeSurrogates(String text) {
		StringBuilder out = new StringBuilder(text.length() + 8);
		for (int i = 0; i < text.length(); i++) {
			char c = text.charAt(i);
			boolean paired = Character.isHighSurrogate(c) && i + 1 < text.length()
					&& Character.isLowSurrogate(text.charAt(i + 1));
			if (paired) {
				out.append(c).append(text.charAt(++i));
			}
			else if (Character.isSurrogate(c)) {
				out.append(String.format("\\u%04x", (int) c));
			}
			else {
				out.append(c);
			}
		}
		return out.toString();
	}

}

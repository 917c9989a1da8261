package dev.imagegen.worker.browser;

import java.util.Locale;

/**
 * What an in-page {@code fetch} brought back.
 *
 * @param httpStatus the HTTP status, or -1 when no answer arrived
 * @param contentType the {@code Content-Type} header, or null
 * @param text the body as text (JSON calls), or null
 * @param bytes the body as bytes (downloads), or null
 * @param error the JavaScript error name when no answer arrived ({@code AbortError} = timeout)
 * @param retryAfter the {@code Retry-After} header, or null
 */
record UpstreamResponse(int httpStatus, String contentType, String text, byte[] bytes, String error,
		String retryAfter) {

	UpstreamResponse(int httpStatus, String contentType, String text, byte[] bytes, String error) {
		this(httpStatus, contentType, text, bytes, error, null);
	}

	/**
	 * The upstream's {@code Retry-After} (RFC 9110: seconds or an HTTP date).
	 * @return the wait, or null when absent or unreadable
	 */
	java.time.Duration retryAfterDuration() {
		if (this.retryAfter == null || this.retryAfter.isBlank()) {
			return null;
		}
		String value = this.retryAfter.trim();
		try {
			long seconds = Long.parseLong(value);
			return (seconds > 0) ? java.time.Duration.ofSeconds(seconds) : null;
		}
		catch (NumberFormatException ex) {
			try {
				java.time.ZonedDateTime at = java.time.ZonedDateTime.parse(value,
						java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME);
				java.time.Duration wait = java.time.Duration.between(java.time.Instant.now(), at.toInstant());
				return wait.isNegative() || wait.isZero() ? null : wait;
			}
			catch (java.time.format.DateTimeParseException ex2) {
				return null;
			}
		}
	}

	boolean answered() {
		return this.httpStatus >= 0;
	}

	boolean timedOut() {
		return "AbortError".equals(this.error) || "TimeoutError".equals(this.error);
	}

	/** A Cloudflare bot challenge: HTTP 403 with the "Just a moment..." page. */
	boolean challenge() {
		if (this.httpStatus != 403 || this.text == null) {
			return false;
		}
		String lower = this.text.toLowerCase(Locale.ROOT);
		return lower.contains("just a moment") || lower.contains("challenge-platform") || lower.contains("cf-chl");
	}

	/** The body shortened for a log line. */
	String excerpt() {
		if (this.text == null) {
			return (this.error != null) ? this.error : "<no body>";
		}
		String oneLine = this.text.replaceAll("\\s+", " ");
		return (oneLine.length() > 200) ? oneLine.substring(0, 200) + "…" : oneLine;
	}

}

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
 */
record UpstreamResponse(int httpStatus, String contentType, String text, byte[] bytes, String error) {

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

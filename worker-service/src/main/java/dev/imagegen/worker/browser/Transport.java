package dev.imagegen.worker.browser;

import java.time.Duration;

/**
 * One upstream HTTP exchange, as the Perchance protocol classes need it. The production implementation is
 * {@link PageTransport} (an in-page {@code fetch}, so Cloudflare sees the browser's cookies and TLS); unit
 * tests script the answers instead, without a browser.
 */
interface Transport {

	/**
	 * Sends one request and reads the whole answer, never longer than the timeout (body included).
	 * @param method {@code GET} or {@code POST}
	 * @param url absolute URL
	 * @param body the body ({@code text/plain;charset=UTF-8}), or null
	 * @param binary read a 200 answer's body as bytes (downloads) rather than text
	 * @param timeout the longest the exchange may take
	 * @return the answer, or a response with status -1 when none arrived
	 */
	UpstreamResponse send(String method, String url, String body, boolean binary, Duration timeout);

}

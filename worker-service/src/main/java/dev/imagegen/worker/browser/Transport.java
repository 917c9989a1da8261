package dev.imagegen.worker.browser;

import java.time.Duration;
import java.util.function.Consumer;

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

	/**
	 * Sends one request as {@link #send(String, String, String, boolean, Duration)} and, while it is
	 * outstanding, polls a second URL: first after {@code poll.firstAfter()}, then every {@code poll.every()},
	 * handing each answer's body (null when the poll failed) to {@code poll.answer()}. Polls stop when the
	 * request ends; a failing poll never affects the request. Without its own support a transport just sends.
	 * @param method {@code GET} or {@code POST}
	 * @param url absolute URL
	 * @param body the body, or null
	 * @param binary read a 200 answer's body as bytes
	 * @param timeout the longest the exchange may take
	 * @param poll what to poll meanwhile
	 * @return the answer of the request
	 */
	default UpstreamResponse send(String method, String url, String body, boolean binary, Duration timeout, Poll poll) {
		return send(method, url, body, binary, timeout);
	}

	/**
	 * A GET polled while another request is outstanding (Perchance's queue position during generate).
	 * @param url absolute URL
	 * @param firstAfter delay of the first poll
	 * @param every delay between polls
	 * @param answer gets each answer's body, or null when a poll failed; called on the thread that sends
	 */
	record Poll(String url, Duration firstAfter, Duration every, Consumer<String> answer) {
	}

}

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
	 * The generate POST, polled as {@link #send(String, String, String, boolean, Duration, Poll)} does (poll may
	 * be null), and, when it answers 200 with a JSON {@code status: "success"} whose {@code imageDownloadUrl} is
	 * a path, the image fetched right after it in the same call: one browser round trip less per image. The
	 * caller checks the prefetched download as the first download attempt (docs/perchance-protocol.md,
	 * section 3). Without its own support a transport only sends the request, and the caller downloads.
	 * @param url absolute URL of the generate call
	 * @param body its body
	 * @param timeout the longest the generate exchange may take
	 * @param poll what to poll while it is outstanding, or null
	 * @param prefetch where and how long to download
	 * @return the generate answer and the prefetched download, if any
	 */
	default Generated generate(String url, String body, Duration timeout, Poll poll, Prefetch prefetch) {
		return new Generated(send("POST", url, body, false, timeout, poll), null, null);
	}

	/**
	 * How a generate call downloads its image in the same call.
	 * @param base the image origin the download path is appended to
	 * @param stepTimeout the longest the download may take
	 * @param budget what is left of the job's time when the call starts: the download never runs past it
	 * @param started run on the sending thread when the download starts (the generate answer has arrived)
	 */
	record Prefetch(String base, Duration stepTimeout, Duration budget, Runnable started) {
	}

	/**
	 * What a generate call brought back.
	 * @param response the generate answer
	 * @param downloadPath the {@code imageDownloadUrl} that was downloaded, or null when nothing was
	 * @param download the download's answer (status -1 when none arrived), or null when nothing was downloaded
	 */
	record Generated(UpstreamResponse response, String downloadPath, UpstreamResponse download) {
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

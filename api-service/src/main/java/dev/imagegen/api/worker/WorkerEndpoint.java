package dev.imagegen.api.worker;

import java.net.URI;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One configured worker and what the balancer knows about it: how many generations it has in flight
 * and until when it is skipped after refusing a connection.
 */
public final class WorkerEndpoint {

	private final URI url;

	/** {@code POST /generate}'s URI, parsed once rather than per generation. */
	private final URI generate;

	private final AtomicInteger inFlight = new AtomicInteger();

	private volatile long skipUntilNanos;

	private volatile boolean everSkipped;

	WorkerEndpoint(URI url) {
		this.url = url;
		this.generate = resolve("/generate");
	}

	/** @return the URI of the worker's {@code POST /generate} */
	URI generateUri() {
		return this.generate;
	}

	/**
	 * The worker's base URL.
	 * @return the URL, without trailing slash
	 */
	public String url() {
		return this.url.toString();
	}

	/**
	 * The URL as it may be shown to anyone: without user information, which could hold credentials.
	 * @return scheme, host, port and path
	 */
	public String publicUrl() {
		if (this.url.getRawUserInfo() == null) {
			return this.url.toString();
		}
		return this.url.getScheme() + "://" + this.url.getHost() + ((this.url.getPort() >= 0) ? ":" + this.url.getPort() : "")
				+ ((this.url.getRawPath() != null) ? this.url.getRawPath() : "");
	}

	/**
	 * The number of generations this API currently has running on the worker.
	 * @return the in-flight count
	 */
	public int inFlight() {
		return this.inFlight.get();
	}

	/**
	 * An absolute URI on this worker.
	 * @param path the path, starting with {@code /}
	 * @return the URI
	 */
	public URI resolve(String path) {
		return URI.create(this.url + path);
	}

	int acquire() {
		return this.inFlight.incrementAndGet();
	}

	void release() {
		this.inFlight.decrementAndGet();
	}

	void markUnreachable(Duration backoff) {
		this.skipUntilNanos = System.nanoTime() + backoff.toNanos();
		this.everSkipped = true;
	}

	boolean skipped(long nowNanos) {
		return this.everSkipped && nowNanos - this.skipUntilNanos < 0;
	}

}

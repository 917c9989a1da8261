package dev.imagegen.api.clients;

import java.time.Duration;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.BucketConfiguration;

/**
 * The one definition of a client's token buckets, used by the in-memory limiter and the shared one alike: a
 * quota per minute, refilled greedily (so {@code 10} per minute frees a token every 6 s and {@code Retry-After}
 * is exact), and the names the buckets are kept under.
 */
final class ClientBandwidths {

	/** The window every quota is counted over (the {@code w} of the {@code RateLimit-Policy} header). */
	static final Duration WINDOW = Duration.ofMinutes(1);

	private ClientBandwidths() {
	}

	/**
	 * @param perMinute tokens per {@link #WINDOW}
	 * @return the bandwidth: that many at once, refilled evenly over the window
	 */
	static Bandwidth perMinute(int perMinute) {
		return Bandwidth.builder().capacity(perMinute).refillGreedy(perMinute, WINDOW).build();
	}

	/**
	 * @param perMinute tokens per {@link #WINDOW}
	 * @return a bucket configuration of {@link #perMinute} alone
	 */
	static BucketConfiguration configuration(int perMinute) {
		return BucketConfiguration.builder().addLimit(perMinute(perMinute)).build();
	}

	/**
	 * @param client the client
	 * @return the name of its request bucket
	 */
	static String requestBucket(ClientIdentity client) {
		return client.bucket();
	}

	/**
	 * A key's rate may change on reload: the bucket is per rate, so a new rate starts a bucket of its own.
	 * @param client the client
	 * @return the name of its generation bucket
	 */
	static String generationBucket(ClientIdentity client) {
		return client.bucket() + "@" + client.generationsPerMinute();
	}

}

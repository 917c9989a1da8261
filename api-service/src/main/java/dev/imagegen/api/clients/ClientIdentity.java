package dev.imagegen.api.clients;

/**
 * Who is asking, as far as limits are concerned.
 *
 * @param name what the access log shows: the key's name, or {@code anonymous}
 * @param tier {@code key} or {@code anonymous} (a metric tag: never a name or an address)
 * @param bucket what the limits are counted by: {@code key:<name>} or {@code ip:<address>}
 * @param generationsPerMinute generations this client may start per minute
 * @param maxConcurrent generations this client may have in flight
 */
public record ClientIdentity(String name, String tier, String bucket, int generationsPerMinute, int maxConcurrent) {

	/** The exchange attribute that carries the identity of the current request. */
	public static final String ATTRIBUTE = ClientIdentity.class.getName();

	static final String ANONYMOUS = "anonymous";

	static final String KEY = "key";

}

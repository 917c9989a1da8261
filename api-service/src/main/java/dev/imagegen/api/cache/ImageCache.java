package dev.imagegen.api.cache;

import java.time.Duration;
import java.util.Optional;

import org.springframework.http.MediaType;

/**
 * Images by the fingerprint of their normalized parameters and actual seed. The controller sees only this
 * interface, so a shared tier (Redis, for several API replicas) can be put behind the local one later
 * (look up locally, then shared; store in both) without touching the controller.
 */
public interface ImageCache {

	/**
	 * @param key the fingerprint
	 * @return the image, if stored and not expired
	 */
	Optional<StoredImage> get(String key);

	/**
	 * Stores (or replaces) an image.
	 * @param key the fingerprint
	 * @param bytes the bytes
	 * @param mediaType what they are
	 * @param seed the seed actually used
	 * @return what was stored (with its time), also when the cache is off
	 */
	StoredImage put(String key, byte[] bytes, MediaType mediaType, long seed);

	/**
	 * @param image an image from this cache
	 * @return how long ago it was stored, for the {@code Age} header
	 */
	Duration age(StoredImage image);

}

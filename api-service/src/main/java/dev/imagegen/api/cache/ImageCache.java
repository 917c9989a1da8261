package dev.imagegen.api.cache;

import java.time.Duration;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import reactor.core.publisher.Mono;

import org.springframework.http.MediaType;

/**
 * Images by the fingerprint of their normalized parameters and actual seed. The callers see only this
 * interface: on one box it is the in-memory cache ({@link LocalImageCache}); in the Redis mode a shared tier
 * sits behind it ({@link TieredImageCache}: look up locally, then in Redis; store in both).
 * <p>
 * The lookup is reactive because the shared tier is a network call and the callers run on the event loop,
 * which must never wait on Redis; on one box it answers at once.
 */
public interface ImageCache {

	/**
	 * Looks an image up; never fails (a shared tier that does not answer is a miss).
	 * @param key the fingerprint
	 * @return the image, if stored and not expired; empty otherwise. An off-heap image is a reference of the
	 * caller's own ({@link StoredImage#share()}), released when done with it (an answer's {@code ImageAnswer} does)
	 */
	Mono<StoredImage> find(String key);

	/**
	 * Stores (or replaces) an image. Returns at once: a shared tier is written in the background, and a failure
	 * there is logged and counted, never passed on.
	 * @param key the fingerprint
	 * @param content the bytes, which the cache takes over (a direct buffer as {@link StoredImage#taking} wants
	 * it: the cache keeps that same buffer, no copy)
	 * @param mediaType what they are
	 * @param seed the seed actually used
	 * @return what was stored (with its time), also when the cache is off or did not keep it: when off-heap, a
	 * reference of the caller's own, which it releases when done (an answer's {@code ImageAnswer} does)
	 */
	StoredImage put(String key, ByteBuf content, MediaType mediaType, long seed);

	/**
	 * Stores (or replaces) an image that is in a heap array, as {@link #put(String, ByteBuf, MediaType, long)}.
	 * @param key the fingerprint
	 * @param bytes the bytes; never modified afterwards
	 * @param mediaType what they are
	 * @param seed the seed actually used
	 * @return what was stored (with its time), on the heap as given
	 */
	default StoredImage put(String key, byte[] bytes, MediaType mediaType, long seed) {
		return put(key, Unpooled.wrappedBuffer(bytes), mediaType, seed);
	}

	/**
	 * @param image an image from this cache
	 * @return how long ago it was stored, for the {@code Age} header
	 */
	Duration age(StoredImage image);

}

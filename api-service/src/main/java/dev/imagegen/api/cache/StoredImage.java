package dev.imagegen.api.cache;

import java.nio.ByteBuffer;

import org.springframework.http.MediaType;

/**
 * An image as the cache holds it: the bytes exactly as first sent, in one read-only direct (off-heap) buffer,
 * what they are, the seed that made them, and when they were stored (in the cache's own clock, for {@code Age}).
 * <p>
 * Direct, because that is what the socket write needs: Reactor Netty copies a heap array into a direct buffer
 * before every write, 450 KB per answer for a typical PNG; a direct buffer is written as it is, so a cache hit
 * copies nothing in the JVM (docs/benchmarks.md, "Where the time goes"). Read-only, so that no reader can change
 * what the next one gets; every reader gets its own {@link #content() view} with its own position.
 *
 * @param content the image bytes (a fresh read-only view on each call)
 * @param mediaType {@code image/png} or {@code image/jpeg}
 * @param seed the seed actually used
 * @param storedAtNanos the cache clock's reading when stored
 */
public record StoredImage(ByteBuffer content, MediaType mediaType, long seed, long storedAtNanos) {

	/**
	 * Keeps a read-only view of the buffer's remaining bytes.
	 * @param content the image bytes; not modified afterwards by the caller
	 * @param mediaType {@code image/png} or {@code image/jpeg}
	 * @param seed the seed actually used
	 * @param storedAtNanos the cache clock's reading when stored
	 */
	public StoredImage {
		content = content.slice().asReadOnlyBuffer();
	}

	/**
	 * Copies the image once into a read-only direct buffer (on the heap if direct memory is exhausted).
	 * @param bytes the encoded image
	 * @param mediaType {@code image/png} or {@code image/jpeg}
	 * @param seed the seed actually used
	 * @param storedAtNanos the cache clock's reading when stored
	 * @return the stored image
	 */
	public static StoredImage of(byte[] bytes, MediaType mediaType, long seed, long storedAtNanos) {
		ByteBuffer content;
		try {
			content = ByteBuffer.allocateDirect(bytes.length);
			content.put(bytes).flip();
		}
		catch (OutOfMemoryError ex) {
			// -XX:MaxDirectMemorySize reached (set below IMAGE_CACHE_SIZE plus headroom): keep serving, from the
			// heap, at the cost of the copy per answer that the direct buffer saves.
			content = ByteBuffer.wrap(bytes);
		}
		return new StoredImage(content, mediaType, seed, storedAtNanos);
	}

	/**
	 * A view of the bytes with its own position and limit, for writing them out without copying.
	 * @return a read-only buffer positioned at the first byte
	 */
	@Override
	public ByteBuffer content() {
		return this.content.duplicate();
	}

	/**
	 * The image's length in bytes.
	 * @return the size
	 */
	public int size() {
		return this.content.capacity();
	}

	/**
	 * A heap copy of the bytes, for callers that need an array (base64 in a JSON answer, tests); the HTTP image
	 * answers write {@link #content()} instead, which copies nothing.
	 * @return a new array with the image bytes
	 */
	public byte[] bytes() {
		byte[] copy = new byte[size()];
		content().get(copy);
		return copy;
	}

}

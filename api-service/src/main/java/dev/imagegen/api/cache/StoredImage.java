package dev.imagegen.api.cache;

import java.nio.ByteBuffer;

import org.springframework.http.MediaType;

/**
 * An image as the cache holds it: the bytes exactly as first sent, what they are, the seed that made them, and
 * when they were stored (in the cache's own clock, for {@code Age}).
 * <p>
 * The bytes start on the heap, where the worker's answer arrived. The first answer from the cache moves them
 * into one read-only direct (off-heap) buffer, which every later hit writes to the socket as it is: Reactor
 * Netty copies a heap array into a direct buffer before every write (450 KB per answer for a typical PNG), a
 * direct buffer it writes without a copy. Only images that are hit move: a direct buffer is costly to allocate
 * and is freed only by a garbage collection, which made every miss slower when all images were moved at once
 * (docs/benchmarks.md, "What changed"). After the move the heap copy is dropped, so an image is held once.
 */
public final class StoredImage {

	private final MediaType mediaType;

	private final long seed;

	private final long storedAtNanos;

	private final int size;

	private volatile byte[] heap;

	private volatile ByteBuffer direct;

	/**
	 * Keeps the image.
	 * @param bytes the image bytes; never modified afterwards
	 * @param mediaType {@code image/png} or {@code image/jpeg}
	 * @param seed the seed actually used
	 * @param storedAtNanos the cache clock's reading when stored
	 */
	public StoredImage(byte[] bytes, MediaType mediaType, long seed, long storedAtNanos) {
		this.heap = bytes;
		this.size = bytes.length;
		this.mediaType = mediaType;
		this.seed = seed;
		this.storedAtNanos = storedAtNanos;
	}

	/**
	 * The image bytes: the array itself while the image is on the heap, a copy once it is off-heap.
	 * @return the bytes; never modify them
	 */
	public byte[] bytes() {
		byte[] bytes = this.heap;
		if (bytes != null) {
			return bytes;
		}
		bytes = new byte[this.size];
		this.direct.duplicate().get(bytes);
		return bytes;
	}

	/**
	 * A read-only view of the bytes in direct memory with its own position, for writing them out without a copy;
	 * moves the image off-heap on first use (on the heap it stays if direct memory is exhausted).
	 * @return a read-only buffer positioned at the first byte
	 */
	public ByteBuffer content() {
		ByteBuffer buffer = this.direct;
		if (buffer == null) {
			buffer = moveOffHeap();
		}
		return buffer.duplicate();
	}

	private synchronized ByteBuffer moveOffHeap() {
		if (this.direct != null) {
			return this.direct;
		}
		byte[] bytes = this.heap;
		try {
			ByteBuffer buffer = ByteBuffer.allocateDirect(bytes.length);
			buffer.put(bytes).flip();
			// Published before the heap copy is dropped: a concurrent bytes() sees one or the other.
			this.direct = buffer.asReadOnlyBuffer();
			this.heap = null;
			return this.direct;
		}
		catch (OutOfMemoryError ex) {
			// -XX:MaxDirectMemorySize reached: keep serving from the heap, at the cost of a copy per answer.
			return ByteBuffer.wrap(bytes).asReadOnlyBuffer();
		}
	}

	/**
	 * The image's length in bytes.
	 * @return the size
	 */
	public int size() {
		return this.size;
	}

	/**
	 * What the bytes are.
	 * @return {@code image/png} or {@code image/jpeg}
	 */
	public MediaType mediaType() {
		return this.mediaType;
	}

	/**
	 * The seed actually used.
	 * @return the seed
	 */
	public long seed() {
		return this.seed;
	}

	/**
	 * When the image was stored.
	 * @return the cache clock's reading when stored
	 */
	public long storedAtNanos() {
		return this.storedAtNanos;
	}

}

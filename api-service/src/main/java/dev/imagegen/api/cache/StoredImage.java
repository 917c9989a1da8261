package dev.imagegen.api.cache;

import java.nio.ByteBuffer;

import org.springframework.http.MediaType;

/**
 * An image as the cache holds it: the bytes exactly as first sent, what they are, the seed that made them, and
 * when they were stored (in the cache's own clock, for {@code Age}).
 * <p>
 * An image that is only passing through (a generation with the cache off, a job's image read back from Redis)
 * stays in the heap array it arrived in. An image the cache keeps is copied once into a read-only direct
 * (off-heap) buffer ({@link #offHeap()}): the cache is bounded by {@code IMAGE_CACHE_SIZE}, 256 MB by default,
 * while the API's heap is 128 MB (run.sh, docker/api.Dockerfile), so held images cannot live on the heap: a cache
 * of share-link images, which are stored and rarely hit, filled the heap and stopped the API with an
 * {@code OutOfMemoryError}. Direct memory is bounded by {@code -XX:MaxDirectMemorySize}, above the cache's bound.
 * A direct buffer is also what Reactor Netty writes to the socket without copying it first (a heap array is
 * copied into a direct buffer before every write), so every answer from the cache is written as it is.
 */
public final class StoredImage {

	private final MediaType mediaType;

	private final long seed;

	private final long storedAtNanos;

	private final int size;

	/** The bytes while on the heap, else {@code null}. */
	private final byte[] heap;

	/** The bytes once off-heap (read-only), else {@code null}. */
	private final ByteBuffer direct;

	/**
	 * Keeps the image on the heap, in the array given.
	 * @param bytes the image bytes; never modified afterwards
	 * @param mediaType {@code image/png} or {@code image/jpeg}
	 * @param seed the seed actually used
	 * @param storedAtNanos the cache clock's reading when stored
	 */
	public StoredImage(byte[] bytes, MediaType mediaType, long seed, long storedAtNanos) {
		this(bytes, null, bytes.length, mediaType, seed, storedAtNanos);
	}

	private StoredImage(byte[] heap, ByteBuffer direct, int size, MediaType mediaType, long seed,
			long storedAtNanos) {
		this.heap = heap;
		this.direct = direct;
		this.size = size;
		this.mediaType = mediaType;
		this.seed = seed;
		this.storedAtNanos = storedAtNanos;
	}

	/**
	 * The same image held in direct memory, for keeping: this image if it is there already, else a copy whose
	 * heap array can be dropped.
	 * @return the image off-heap
	 * @throws OutOfMemoryError when {@code -XX:MaxDirectMemorySize} is reached even after the collection the JDK
	 * runs to free unreachable direct buffers
	 */
	public StoredImage offHeap() {
		if (this.direct != null) {
			return this;
		}
		ByteBuffer buffer = ByteBuffer.allocateDirect(this.size);
		buffer.put(this.heap).flip();
		return new StoredImage(null, buffer.asReadOnlyBuffer(), this.size, this.mediaType, this.seed,
				this.storedAtNanos);
	}

	/** @return whether the bytes are held in direct memory */
	public boolean isOffHeap() {
		return this.direct != null;
	}

	/**
	 * The image bytes: the array itself while the image is on the heap, a copy once it is off-heap.
	 * @return the bytes; never modify them
	 */
	public byte[] bytes() {
		if (this.heap != null) {
			return this.heap;
		}
		byte[] bytes = new byte[this.size];
		this.direct.duplicate().get(bytes);
		return bytes;
	}

	/**
	 * A read-only view of the bytes with its own position, for writing them out without a copy: a view of the
	 * direct buffer when off-heap, else of the heap array.
	 * @return a read-only buffer positioned at the first byte
	 */
	public ByteBuffer content() {
		return (this.direct != null) ? this.direct.duplicate() : ByteBuffer.wrap(this.heap).asReadOnlyBuffer();
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

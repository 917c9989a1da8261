package dev.imagegen.api.cache;

import java.util.concurrent.atomic.AtomicBoolean;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.buffer.UnpooledDirectByteBuf;
import io.netty.util.IllegalReferenceCountException;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferFactory;
import org.springframework.core.io.buffer.NettyDataBufferFactory;
import org.springframework.http.MediaType;

/**
 * An image as the API holds it: the bytes exactly as first sent, what they are, the seed that made them, and when
 * they were stored (in the cache's own clock, for {@code Age}).
 * <p>
 * <b>Where the bytes live.</b> A worker's answer over HTTP is copied once, from Netty's pooled network buffers, into
 * one direct (off-heap) buffer of its exact size ({@link #taking}), which the cache then keeps as it is and every
 * answer writes to the socket as it is: no heap array of the image's size, no copy after that one. The heap arrays a miss used to allocate (450 KB each) made
 * the serial collector run some 60 young collections a second under load, each copying the images in flight, and
 * the two copies (into the cache's buffer, and Netty's into a direct buffer for the socket) cost as much again
 * (docs/benchmarks.md). Images that arrive as arrays (from Redis, and in tests) stay in them while they pass
 * through, and are copied once into direct memory when a holder keeps them ({@link #offHeap()}). Kept images live
 * off-heap because their bounds (256 MB each by default) are larger than the API's 128 MB heap (run.sh,
 * docker/api.Dockerfile): a cache of share-link images, which are stored and rarely hit, once filled the heap and
 * stopped the API with an {@code OutOfMemoryError}.
 * <p>
 * <b>Off-heap bytes are reference-counted and freed at once.</b> Left to the garbage collector, a dropped direct
 * buffer is freed only by the full collection the JDK runs when {@code -XX:MaxDirectMemorySize} is reached: under a
 * churning cache the API's memory filled to that limit and stayed there (547–628 MiB of RSS with a 32 MB cache,
 * docs/benchmarks.md). So each off-heap instance is <em>one reference</em> to a shared, counted Netty buffer: the
 * generation that read it owns one until it hands it on, the holder that keeps it (the cache's entry, a URL, a job)
 * owns one, each reader gets its own ({@link #share()}), the bytes being written to a socket hold one until written
 * ({@link #body}), and the memory is freed when the last is {@link #release() released}. Every read of the bytes
 * goes through a reference its reader owns, so freed memory is never read: a reference that was released refuses to
 * be read ({@link IllegalStateException}), and one taken from a holder that dropped the image just now is refused
 * ({@link #share()} answers {@code null}) rather than handed out. A reference that is never released (an answer
 * whose caller left before it was built) is not a leak: its buffer is unpooled and carries the JDK's cleaner, so the
 * collector frees it as before.
 */
public final class StoredImage {

	private final MediaType mediaType;

	private final long seed;

	private final long storedAtNanos;

	private final int size;

	/** The bytes while on the heap, else {@code null}. */
	private final byte[] heap;

	/** The counted direct buffer once off-heap, else {@code null}; this instance owns one of its references. */
	private final ByteBuf direct;

	/**
	 * Whether a holder keeps these bytes (off-heap only; one flag for all references to the buffer): the images'
	 * budget counts them then ({@link ImageMemory#keep}), and another holder may share them without a new check.
	 */
	private final AtomicBoolean kept;

	/** Whether this instance's reference was released (off-heap only). */
	private final AtomicBoolean released = new AtomicBoolean();

	/**
	 * Keeps the image on the heap, in the array given.
	 * @param bytes the image bytes; never modified afterwards
	 * @param mediaType {@code image/png} or {@code image/jpeg}
	 * @param seed the seed actually used
	 * @param storedAtNanos the cache clock's reading when stored
	 */
	public StoredImage(byte[] bytes, MediaType mediaType, long seed, long storedAtNanos) {
		this(bytes, null, null, bytes.length, mediaType, seed, storedAtNanos);
	}

	private StoredImage(byte[] heap, ByteBuf direct, AtomicBoolean kept, int size, MediaType mediaType, long seed,
			long storedAtNanos) {
		this.heap = heap;
		this.direct = direct;
		this.kept = kept;
		this.size = size;
		this.mediaType = mediaType;
		this.seed = seed;
		this.storedAtNanos = storedAtNanos;
	}

	/**
	 * The image in the buffer given, which it takes over: a direct buffer's reference becomes this image's (the
	 * buffer must be unpooled, of the image's size, for nobody else: {@link #directBuffer(int)}); a heap buffer's
	 * bytes stay in its array when it is exactly the image (the array then is this image's), else they are copied
	 * into one and the buffer is released.
	 * @param content the image bytes, from its reader index to its writer index; never modified afterwards
	 * @param mediaType {@code image/png} or {@code image/jpeg}
	 * @param seed the seed actually used
	 * @param storedAtNanos the cache clock's reading when stored
	 * @return the image, a reference of the caller's own when off-heap
	 */
	public static StoredImage taking(ByteBuf content, MediaType mediaType, long seed, long storedAtNanos) {
		int size = content.readableBytes();
		if (content.isDirect()) {
			ByteBuf bytes = (content.readerIndex() == 0) ? content : content.slice();
			return new StoredImage(null, bytes, new AtomicBoolean(), size, mediaType, seed, storedAtNanos);
		}
		// The backing array itself when it is exactly the image, else a copy.
		byte[] bytes = ByteBufUtil.getBytes(content, content.readerIndex(), size, false);
		if (!content.hasArray() || bytes != content.array()) {
			// Copied: the buffer is done with (a pooled one goes back to its pool).
			content.release();
		}
		return new StoredImage(bytes, mediaType, seed, storedAtNanos);
	}

	/**
	 * A buffer for an image's bytes as {@link #taking} expects it: direct, unpooled (an image kept for an hour must
	 * not pin a chunk of Netty's pool), with the JDK's cleaner (freed by the collector should a reference be lost).
	 * @param size the image's length in bytes
	 * @return an empty buffer of exactly that capacity
	 * @throws OutOfMemoryError when {@code -XX:MaxDirectMemorySize} is reached even after the collection the JDK
	 * runs to free unreachable direct buffers
	 */
	public static ByteBuf directBuffer(int size) {
		return new UnpooledDirectByteBuf(UnpooledByteBufAllocator.DEFAULT, size, size);
	}

	/**
	 * The same image held in direct memory, as a reference of its own for a holder that keeps it: a copy of a heap
	 * image (whose array can then be dropped), another reference to the bytes of one that is off-heap already. The
	 * bytes count as {@link #isKept() kept} from then on.
	 * @return a new off-heap reference, owned by the caller
	 * @throws OutOfMemoryError when {@code -XX:MaxDirectMemorySize} is reached even after the collection the JDK
	 * runs to free unreachable direct buffers
	 * @throws IllegalStateException when this reference was released
	 */
	public StoredImage offHeap() {
		if (this.direct != null) {
			StoredImage shared = share();
			if (shared == null) {
				throw new IllegalStateException("The image's bytes were released");
			}
			this.kept.set(true);
			return shared;
		}
		ByteBuf buffer = directBuffer(this.size);
		buffer.writeBytes(this.heap);
		return new StoredImage(null, buffer, new AtomicBoolean(true), this.size, this.mediaType, this.seed,
				this.storedAtNanos);
	}

	/**
	 * Another reference to the same bytes, for another owner, who releases it when done. Taken from a holder's
	 * reference, it is how a reader makes sure the bytes outlive its reading whatever the holder does meanwhile.
	 * @return this image when it is on the heap (nothing to count); a new reference when off-heap; {@code null}
	 * when every reference was released already (the holder dropped the image just now)
	 */
	public StoredImage share() {
		if (this.direct == null) {
			return this;
		}
		try {
			this.direct.retain();
		}
		catch (IllegalReferenceCountException ex) {
			return null;
		}
		return new StoredImage(null, this.direct, this.kept, this.size, this.mediaType, this.seed, this.storedAtNanos);
	}

	/**
	 * Releases this reference (once; again does nothing); the bytes are freed when no reference is left. Nothing
	 * for a heap image. The image's size, type and seed stay readable, its bytes do not.
	 */
	public void release() {
		if (this.direct != null && this.released.compareAndSet(false, true)) {
			this.direct.release();
		}
	}

	/**
	 * @param other another image
	 * @return whether both are references to the same off-heap bytes (a holder that shares an image, not a copy)
	 */
	public boolean sharesBytesWith(StoredImage other) {
		return this.direct != null && this.direct == other.direct;
	}

	/** @return whether the bytes are held in direct memory */
	public boolean isOffHeap() {
		return this.direct != null;
	}

	/**
	 * @return whether a holder has kept these bytes in direct memory (took them with {@link #offHeap()}), as opposed
	 * to an image that only passed through, on the heap or off it. It stays so when that holder drops them (the
	 * cache evicts them): the bytes are in memory already, so another holder sharing them takes no more.
	 */
	public boolean isKept() {
		return this.kept != null && this.kept.get();
	}

	/**
	 * The image bytes: the array itself while the image is on the heap, a copy once it is off-heap.
	 * @return the bytes; never modify them
	 * @throws IllegalStateException when this reference was released
	 */
	public byte[] bytes() {
		if (this.heap != null) {
			return this.heap;
		}
		readable();
		byte[] bytes = new byte[this.size];
		this.direct.getBytes(0, bytes);
		return bytes;
	}

	/**
	 * The bytes as the body of one answer, without a copy where the server allows it: with Reactor Netty's buffers,
	 * a view of the direct buffer holding a reference of its own, which the server releases once it has written
	 * (or dropped) it; with any other factory (tests' mock server), the bytes. This reference stays the caller's.
	 * @param buffers the response's buffer factory
	 * @return a buffer positioned at the first byte, to be written once
	 * @throws IllegalStateException when this reference was released
	 */
	public DataBuffer body(DataBufferFactory buffers) {
		if (this.heap != null) {
			return buffers.wrap(this.heap);
		}
		readable();
		if (buffers instanceof NettyDataBufferFactory netty) {
			return netty.wrap(this.direct.retainedDuplicate());
		}
		return buffers.wrap(bytes());
	}

	private void readable() {
		if (this.released.get()) {
			throw new IllegalStateException("The image's bytes were released by their reader");
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

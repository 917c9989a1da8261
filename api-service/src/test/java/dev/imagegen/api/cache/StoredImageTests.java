package dev.imagegen.api.cache;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.core.io.buffer.NettyDataBufferFactory;
import org.springframework.http.MediaType;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * A passing image stays in its heap array; a kept one is copied once into direct memory, of which every holder and
 * reader owns a counted reference, and which is freed when the last is released, not when a collection finds it.
 */
class StoredImageTests {

	private static final byte[] PNG = { (byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 1, 2, 3 };

	private static final int LARGE = 8 * 1024 * 1024;

	@Test
	void aPassingImageStaysInItsHeapArray() {
		byte[] source = PNG.clone();
		StoredImage image = new StoredImage(source, MediaType.IMAGE_PNG, 42, 7);
		assertThat(image.bytes()).isSameAs(source);
		assertThat(image.isOffHeap()).isFalse();
		assertThat(image.share()).isSameAs(image);
		image.release();
		assertThat(image.bytes()).isSameAs(source);
		assertThat(image.size()).isEqualTo(PNG.length);
	}

	@Test
	void aWorkersAnswerIsTakenInItsDirectBufferAndKeptWithoutACopy() {
		ByteBuf read = StoredImage.directBuffer(PNG.length).writeBytes(PNG);
		StoredImage image = StoredImage.taking(read, MediaType.IMAGE_PNG, 42, 7);
		assertThat(image.isOffHeap()).isTrue();
		// Passing through: not counted as kept until a holder keeps it.
		assertThat(image.isKept()).isFalse();
		StoredImage held = image.offHeap();
		assertThat(held.sharesBytesWith(image)).isTrue();
		assertThat(image.isKept()).isTrue();
		assertThat(held.isKept()).isTrue();
		assertThat(held.bytes()).isEqualTo(PNG);
		assertThat(held.seed()).isEqualTo(42);
		image.release();
		assertThat(held.bytes()).isEqualTo(PNG);
		held.release();
		assertThat(read.refCnt()).isZero();
	}

	@Test
	void anImageTakenFromAHeapBufferStaysInItsArrayWhenItIsExactlyTheImage() {
		byte[] source = PNG.clone();
		assertThat(StoredImage.taking(Unpooled.wrappedBuffer(source), MediaType.IMAGE_PNG, 1, 0).bytes()).isSameAs(source);
		ByteBuf part = Unpooled.wrappedBuffer(source, 1, 3);
		StoredImage sliced = StoredImage.taking(part, MediaType.IMAGE_PNG, 1, 0);
		assertThat(sliced.bytes()).containsExactly('P', 'N', 'G');
		assertThat(sliced.isOffHeap()).isFalse();
		// Copied out of it, so the buffer taken over is released (a pooled one goes back to its pool).
		assertThat(part.refCnt()).isZero();
	}

	@Test
	void aKeptImageIsCopiedOffHeapOnceWithEverythingElseKept() {
		StoredImage image = new StoredImage(PNG.clone(), MediaType.IMAGE_PNG, 42, 7);
		StoredImage held = image.offHeap();
		assertThat(held.isOffHeap()).isTrue();
		StoredImage again = held.offHeap();
		assertThat(again).isNotSameAs(held);
		assertThat(again.sharesBytesWith(held)).isTrue();
		assertThat(held.sharesBytesWith(image.offHeap())).isFalse();
		assertThat(held.bytes()).isEqualTo(PNG);
		assertThat(held.size()).isEqualTo(PNG.length);
		assertThat(held.mediaType()).isEqualTo(MediaType.IMAGE_PNG);
		assertThat(held.seed()).isEqualTo(42);
		assertThat(held.storedAtNanos()).isEqualTo(7);
	}

	@Test
	void theBytesAreFreedWhenTheLastReferenceIsReleasedNotBefore() {
		byte[] pattern = pattern();
		StoredImage holder = new StoredImage(pattern, MediaType.IMAGE_PNG, 1, 0).offHeap();
		StoredImage reader = holder.share();

		holder.release();
		// Releasing one reference twice must not take the reader's.
		holder.release();
		assertThat(reader.bytes()).isEqualTo(pattern);

		assertThat(DirectMemory.freedBy(reader::release)).isGreaterThanOrEqualTo(LARGE);
		// Nothing left to share: a holder that dropped the image hands out no reference to freed memory.
		assertThat(holder.share()).isNull();
		assertThat(reader.share()).isNull();
		assertThatIllegalStateException().isThrownBy(reader::bytes);
		assertThat(reader.size()).isEqualTo(LARGE);
	}

	@Test
	void aReleasedReferenceIsNotReadEvenWhileOthersKeepTheBytes() {
		StoredImage holder = new StoredImage(PNG.clone(), MediaType.IMAGE_PNG, 42, 7).offHeap();
		StoredImage reader = holder.share();
		reader.release();
		assertThatIllegalStateException().isThrownBy(reader::bytes);
		assertThatIllegalStateException().isThrownBy(() -> reader.body(DefaultDataBufferFactory.sharedInstance));
		assertThat(holder.bytes()).isEqualTo(PNG);
	}

	@Test
	void anAnswerBodyHoldsItsOwnReferenceUntilWritten() {
		NettyDataBufferFactory netty = new NettyDataBufferFactory(ByteBufAllocator.DEFAULT);
		byte[] pattern = pattern();
		StoredImage reader = new StoredImage(pattern, MediaType.IMAGE_PNG, 1, 0).offHeap();
		DataBuffer first = reader.body(netty);
		DataBuffer second = reader.body(netty);
		// The holder drops the image while the answers are being written: their bytes stay.
		reader.release();
		assertThat(read(first)).isEqualTo(pattern);
		DataBufferUtils.release(first);
		assertThat(read(second)).isEqualTo(pattern);
		assertThat(DirectMemory.freedBy(() -> DataBufferUtils.release(second))).isGreaterThanOrEqualTo(LARGE);
	}

	@Test
	void withAnotherBufferFactoryTheBodyIsACopy() {
		StoredImage image = new StoredImage(PNG.clone(), MediaType.IMAGE_PNG, 42, 7).offHeap();
		assertThat(read(image.body(DefaultDataBufferFactory.sharedInstance))).isEqualTo(PNG);
	}

	private static byte[] pattern() {
		byte[] bytes = new byte[LARGE];
		for (int i = 0; i < bytes.length; i++) {
			bytes[i] = (byte) (i * 31);
		}
		return bytes;
	}

	private static byte[] read(DataBuffer buffer) {
		byte[] bytes = new byte[buffer.readableByteCount()];
		buffer.read(bytes);
		return bytes;
	}

}

package dev.imagegen.api.cache;

import java.nio.ByteBuffer;

import org.junit.jupiter.api.Test;

import org.springframework.http.MediaType;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The stored image is shared by every answer: on the heap while it passes through, in one read-only direct buffer
 * once kept, of which each reader gets its own view.
 */
class StoredImageTests {

	private static final byte[] PNG = { (byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 1, 2, 3 };

	@Test
	void aPassingImageStaysInItsHeapArray() {
		byte[] source = PNG.clone();
		StoredImage image = new StoredImage(source, MediaType.IMAGE_PNG, 42, 7);
		assertThat(image.bytes()).isSameAs(source);
		assertThat(image.isOffHeap()).isFalse();
		assertThat(image.content().isDirect()).isFalse();
		assertThat(image.content().isReadOnly()).isTrue();
		assertThat(image.size()).isEqualTo(PNG.length);
	}

	@Test
	void aKeptImageIsCopiedOffHeapOnceWithEverythingElseKept() {
		StoredImage image = new StoredImage(PNG.clone(), MediaType.IMAGE_PNG, 42, 7);
		StoredImage held = image.offHeap();
		assertThat(held.isOffHeap()).isTrue();
		assertThat(held.offHeap()).isSameAs(held);
		ByteBuffer content = held.content();
		assertThat(content.isDirect()).isTrue();
		assertThat(content.isReadOnly()).isTrue();
		assertThat(content.remaining()).isEqualTo(PNG.length);
		assertThat(held.bytes()).isEqualTo(PNG);
		assertThat(held.size()).isEqualTo(PNG.length);
		assertThat(held.mediaType()).isEqualTo(MediaType.IMAGE_PNG);
		assertThat(held.seed()).isEqualTo(42);
		assertThat(held.storedAtNanos()).isEqualTo(7);
	}

	@Test
	void everyReaderGetsItsOwnPosition() {
		StoredImage image = new StoredImage(PNG.clone(), MediaType.IMAGE_PNG, 42, 7).offHeap();
		ByteBuffer first = image.content();
		first.get(new byte[5]);
		ByteBuffer second = image.content();
		assertThat(second.position()).isZero();
		assertThat(second.remaining()).isEqualTo(PNG.length);
		byte[] copy = image.bytes();
		copy[0] = 0;
		assertThat(image.bytes()).isEqualTo(PNG);
	}

}

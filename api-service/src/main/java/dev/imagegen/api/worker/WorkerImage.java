package dev.imagegen.api.worker;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;

import org.springframework.http.MediaType;

/**
 * An image a worker produced, checked to be what it claims.
 * <p>
 * Its bytes are one buffer, which the image owns until it hands them on (the generator gives them to the image
 * cache, {@code ImageCache#put}): over HTTP, the direct buffer the worker's answer was read into
 * ({@code StoredImage#directBuffer}: unpooled, so that a lost reference is freed by the collector); from Redis, the
 * heap array the result hash held.
 *
 * @param content the encoded image, from its reader index to its writer index
 * @param mediaType {@code image/png} or {@code image/jpeg}, confirmed by the magic bytes
 * @param seed the seed the worker reports in {@code X-Seed}, or {@code null} when it sent none
 * @param worker the base URL of the worker that produced it
 */
public record WorkerImage(ByteBuf content, MediaType mediaType, Long seed, String worker) {

	/**
	 * The bytes as an array, for the callers that store them elsewhere (a job's image in Redis): the array itself
	 * when the image arrived in one, else a copy. The image keeps its buffer.
	 * @return the bytes; never modify them
	 */
	public byte[] bytes() {
		return ByteBufUtil.getBytes(this.content, this.content.readerIndex(), this.content.readableBytes(), false);
	}

}

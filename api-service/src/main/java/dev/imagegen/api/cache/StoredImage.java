package dev.imagegen.api.cache;

import org.springframework.http.MediaType;

/**
 * An image as the cache holds it: the bytes exactly as first sent (never copied per answer), what they are,
 * the seed that made them, and when they were stored (in the cache's own clock, for {@code Age}).
 *
 * @param bytes the image bytes; never modified
 * @param mediaType {@code image/png} or {@code image/jpeg}
 * @param seed the seed actually used
 * @param storedAtNanos the cache clock's reading when stored
 */
public record StoredImage(byte[] bytes, MediaType mediaType, long seed, long storedAtNanos) {
}

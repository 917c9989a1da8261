package dev.imagegen.api.worker;

import org.springframework.http.MediaType;

/**
 * An image a worker produced, checked to be what it claims.
 *
 * @param bytes the encoded image
 * @param mediaType {@code image/png} or {@code image/jpeg}, confirmed by the magic bytes
 * @param seed the seed the worker reports in {@code X-Seed}, or {@code null} when it sent none
 * @param worker the base URL of the worker that produced it
 */
public record WorkerImage(byte[] bytes, MediaType mediaType, Long seed, String worker) {
}

package dev.imagegen.worker.job;

/**
 * A validated generation request.
 *
 * @param prompt the trimmed prompt
 * @param negativePrompt the negative prompt, possibly empty
 * @param seed -1 for a random seed, else 0..2147483647
 * @param guidanceScale 1..30
 * @param shape the image shape
 * @param format the output format
 */
public record GenerationSpec(String prompt, String negativePrompt, long seed, double guidanceScale, Shape shape,
		ImageFormat format) {
}

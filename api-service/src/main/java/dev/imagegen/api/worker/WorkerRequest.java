package dev.imagegen.api.worker;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * The body of the worker's {@code POST /generate}, exactly as the worker API specifies.
 *
 * @param prompt the prompt, trimmed and validated
 * @param negativePrompt the negative prompt, possibly empty
 * @param seed the seed; the API always sends a concrete one so that every image is reproducible
 * @param guidanceScale 1.0..30.0
 * @param shape {@code portrait}, {@code landscape} or {@code square}
 * @param format {@code png} or {@code jpeg}
 */
@JsonPropertyOrder({ "prompt", "negative_prompt", "seed", "guidance_scale", "shape", "format" })
public record WorkerRequest(@JsonProperty("prompt") String prompt,
		@JsonProperty("negative_prompt") String negativePrompt, @JsonProperty("seed") long seed,
		@JsonProperty("guidance_scale") double guidanceScale, @JsonProperty("shape") String shape,
		@JsonProperty("format") String format) {
}

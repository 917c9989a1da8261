package dev.imagegen.api.openai;

import dev.imagegen.api.generate.GenerateRequest;

/**
 * A validated {@code POST /v1/images/generations}: the {@code /generate} request it stands for and what only
 * OpenAI's API has.
 *
 * @param request the generation of the first image (the others differ only in seed)
 * @param n how many images, 1..4
 * @param base64 {@code true} for {@code response_format=b64_json}, {@code false} for {@code url}
 * @param model the model asked for (any string, for the log), or {@code null}
 */
record OpenAiImageRequest(GenerateRequest request, int n, boolean base64, String model) {

	/**
	 * The request of image {@code i}: seed {@code seed + i} when the caller fixed it, else a random seed of its own
	 * (the generator chooses one per request).
	 * @param i 0..n-1
	 * @return the request
	 */
	GenerateRequest image(int i) {
		return this.request.seedFixed() ? this.request.withSeed(this.request.seed() + i) : this.request;
	}

}

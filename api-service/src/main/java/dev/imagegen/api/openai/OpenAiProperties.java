package dev.imagegen.api.openai;

import jakarta.validation.constraints.NotNull;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * The OpenAI-compatible API, bound from {@code imagegen.openai.*} ({@code application.yml} maps the variables).
 *
 * @param imageStoreSize bytes of images the store behind {@code response_format=url} holds at most
 * ({@code OPENAI_IMAGE_STORE_SIZE}, default 256MB): each URL lives one hour unless this bound is reached first
 */
@Validated
@ConfigurationProperties("imagegen.openai")
public record OpenAiProperties(@DefaultValue("256MB") @NotNull DataSize imageStoreSize) {

	/**
	 * Rejects a size that could not hold one image, naming the variable.
	 */
	public OpenAiProperties {
		if (imageStoreSize != null && imageStoreSize.toBytes() < DataSize.ofMegabytes(1).toBytes()) {
			throw new IllegalArgumentException("OPENAI_IMAGE_STORE_SIZE must be at least 1MB (got " + imageStoreSize
					+ "): every image answered by URL is kept there for an hour");
		}
	}

}

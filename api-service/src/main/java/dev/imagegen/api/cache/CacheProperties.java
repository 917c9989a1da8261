package dev.imagegen.api.cache;

import java.time.Duration;

import jakarta.validation.constraints.NotNull;
import org.hibernate.validator.constraints.time.DurationMin;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * The image cache, bound from {@code imagegen.cache.*} ({@code application.yml} maps the variables).
 *
 * @param size bytes of images held at most ({@code IMAGE_CACHE_SIZE}, default 256MB; {@code 0} turns the cache
 * off); the bound counts image bytes plus a small per-entry overhead, not entries
 * @param ttl how long an image stays after it was stored ({@code IMAGE_CACHE_TTL}, default 24h)
 */
@Validated
@ConfigurationProperties("imagegen.cache")
public record CacheProperties(@DefaultValue("256MB") @NotNull DataSize size,
		@DefaultValue("24h") @NotNull @DurationMin(seconds = 1, message = "IMAGE_CACHE_TTL must be at least 1s") Duration ttl) {

	/**
	 * Rejects a negative size, naming the variable.
	 */
	public CacheProperties {
		if (size != null && size.isNegative()) {
			throw new IllegalArgumentException("IMAGE_CACHE_SIZE must not be negative (0 turns the cache off)");
		}
	}

}

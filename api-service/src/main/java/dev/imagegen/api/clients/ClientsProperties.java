package dev.imagegen.api.clients;

import java.time.Duration;

import jakarta.validation.constraints.Min;
import org.hibernate.validator.constraints.time.DurationMin;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Who the API's clients are and how much of the upstream each may take, bound from {@code imagegen.clients.*};
 * {@code application.yml} maps the documented environment variables onto it. Every message names the variable.
 *
 * @param apiKeysFile the JSON file of API keys ({@code API_KEYS_FILE}); empty: no keys, every client anonymous
 * @param requireApiKey whether a request without a key is refused ({@code REQUIRE_API_KEY}, default false)
 * @param trustedProxies comma-separated CIDRs of proxies whose {@code X-Forwarded-For} is believed
 * ({@code TRUSTED_PROXIES}, default none)
 * @param anonGenerationsPerMinute generations an anonymous client IP may start per minute
 * ({@code ANON_GENERATIONS_PER_MINUTE}, default 10)
 * @param anonMaxConcurrent generations an anonymous client IP may have in flight ({@code ANON_MAX_CONCURRENT}, 2)
 * @param keyGenerationsPerMinute a key's generations per minute unless its entry says otherwise
 * ({@code KEY_GENERATIONS_PER_MINUTE}, 60)
 * @param keyMaxConcurrent a key's generations in flight unless its entry says otherwise ({@code KEY_MAX_CONCURRENT}, 4)
 * @param requestsPerMinute requests of any kind per client per minute ({@code CLIENT_REQUESTS_PER_MINUTE}, 600)
 * @param keysReloadInterval how often the keys file is checked for changes
 * @param concurrencyRetryAfter the {@code Retry-After} of a {@code too-many-concurrent} answer: about one
 * generation's time, after which one of the client's own generations has usually finished
 */
@Validated
@ConfigurationProperties("imagegen.clients")
public record ClientsProperties(String apiKeysFile, boolean requireApiKey, String trustedProxies,
		@DefaultValue("10") @Min(value = 1, message = "ANON_GENERATIONS_PER_MINUTE must be at least 1") int anonGenerationsPerMinute,
		@DefaultValue("2") @Min(value = 1, message = "ANON_MAX_CONCURRENT must be at least 1") int anonMaxConcurrent,
		@DefaultValue("60") @Min(value = 1, message = "KEY_GENERATIONS_PER_MINUTE must be at least 1") int keyGenerationsPerMinute,
		@DefaultValue("4") @Min(value = 1, message = "KEY_MAX_CONCURRENT must be at least 1") int keyMaxConcurrent,
		@DefaultValue("600") @Min(value = 1, message = "CLIENT_REQUESTS_PER_MINUTE must be at least 1") int requestsPerMinute,
		@DefaultValue("2s") @DurationMin(millis = 100, message = "imagegen.clients.keys-reload-interval must be at least 100ms") Duration keysReloadInterval,
		@DefaultValue("5s") @DurationMin(seconds = 1, message = "imagegen.clients.concurrency-retry-after must be at least 1s") Duration concurrencyRetryAfter) {

	/**
	 * Normalizes blanks and checks what the field types cannot.
	 */
	public ClientsProperties {
		apiKeysFile = (apiKeysFile == null) ? "" : apiKeysFile.trim();
		trustedProxies = (trustedProxies == null) ? "" : trustedProxies.trim();
		keysReloadInterval = (keysReloadInterval != null) ? keysReloadInterval : Duration.ofSeconds(2);
		concurrencyRetryAfter = (concurrencyRetryAfter != null) ? concurrencyRetryAfter : Duration.ofSeconds(5);
		if (requireApiKey && apiKeysFile.isEmpty()) {
			throw new IllegalArgumentException(
					"REQUIRE_API_KEY=true needs API_KEYS_FILE: without a keys file no key could ever be valid");
		}
		// Parsed here so that a typo stops the start, naming the variable.
		TrustedProxies.parse(trustedProxies);
	}

}

package dev.imagegen.api.server;

import java.time.Duration;

import org.hibernate.validator.constraints.time.DurationMin;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.annotation.Validated;

/**
 * Connection limits of the public HTTP server, bound from {@code imagegen.http.*}; {@code application.yml}
 * maps {@code HEADER_TIMEOUT} and {@code IDLE_TIMEOUT} onto them. They keep a client that sends nothing, or
 * a request head one byte at a time, from holding a connection for ever.
 *
 * @param headerTimeout the longest a client may take to send a complete request head, counted from the
 * connection (first request) or from the first byte of the next request on a kept-alive connection; env
 * {@code HEADER_TIMEOUT}, default 10s
 * @param idleTimeout how long a kept-alive connection may wait for its next request; env
 * {@code IDLE_TIMEOUT}, default 60s
 */
@Validated
@ConfigurationProperties("imagegen.http")
public record HttpServerProperties(
		@DurationMin(millis = 1, message = "HEADER_TIMEOUT must be a positive duration, e.g. 10s") Duration headerTimeout,
		@DurationMin(millis = 1, message = "IDLE_TIMEOUT must be a positive duration, e.g. 60s") Duration idleTimeout) {

	/**
	 * Applies the defaults.
	 */
	public HttpServerProperties {
		headerTimeout = (headerTimeout != null) ? headerTimeout : Duration.ofSeconds(10);
		idleTimeout = (idleTimeout != null) ? idleTimeout : Duration.ofSeconds(60);
	}

}

package dev.imagegen.api.generate;

import java.util.List;
import java.util.Locale;

import reactor.core.publisher.Mono;

import org.springframework.http.HttpHeaders;
import org.springframework.http.ResponseEntity;
import org.springframework.web.server.ServerWebExchange;

/**
 * Where {@code /generate} hands a request that asks {@code Prefer: respond-async} (RFC 7240): the jobs feature
 * implements it, so that this package does not depend on it.
 */
public interface AsyncGenerations {

	/** The preference token, also echoed in {@code Preference-Applied}. */
	String RESPOND_ASYNC = "respond-async";

	/**
	 * Starts a job for a validated request.
	 * @param exchange the request (its client identity applies to the job)
	 * @param request the validated request
	 * @return {@code 202} with {@code Location} and the job as JSON, or an {@code ApiProblem} error
	 */
	Mono<ResponseEntity<byte[]>> submit(ServerWebExchange exchange, GenerateRequest request);

	/**
	 * Whether the request's {@code Prefer} headers include {@code respond-async}.
	 * @param headers the request headers
	 * @return {@code true} if asynchronous processing is preferred
	 */
	static boolean prefersAsync(HttpHeaders headers) {
		List<String> values = headers.get("Prefer");
		if (values == null) {
			return false;
		}
		for (String value : values) {
			for (String preference : value.split(",")) {
				String token = preference.split(";", 2)[0].split("=", 2)[0].trim().toLowerCase(Locale.ROOT);
				if (token.equals(RESPOND_ASYNC)) {
					return true;
				}
			}
		}
		return false;
	}

	/**
	 * Whether the request asks for a fresh image ({@code Cache-Control: no-cache}), by the rule of {@code /generate}.
	 * @param headers the request headers
	 * @return {@code true} to skip the cache lookup and single-flight
	 */
	static boolean noCache(HttpHeaders headers) {
		return GenerateController.noCache(headers);
	}

}

package dev.imagegen.api.clients;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Optional;

import dev.imagegen.api.problem.ApiProblem;
import dev.imagegen.api.problem.ProblemTypes;
import org.springframework.http.HttpHeaders;
import org.springframework.http.server.reactive.ServerHttpRequest;

/**
 * Tells who sent a request: the name of a valid API key ({@code Authorization: Bearer <key>} or
 * {@code X-API-Key: <key>}), else the client IP (see {@link TrustedProxies}). With a keys file, a key that is
 * sent but unknown is refused, never downgraded to anonymous; {@code REQUIRE_API_KEY} refuses a missing key.
 * Without a keys file any bearer token is ignored: OpenAI SDKs always send one.
 */
final class ClientResolver {

	static final String API_KEY_HEADER = "X-API-Key";

	private final ApiKeyStore keys;

	private final TrustedProxies proxies;

	private final ClientsProperties properties;

	ClientResolver(ApiKeyStore keys, TrustedProxies proxies, ClientsProperties properties) {
		this.keys = keys;
		this.proxies = proxies;
		this.properties = properties;
	}

	/**
	 * @param request the request
	 * @param checkKeys whether keys are checked (API routes) or ignored (the page, its assets)
	 * @return the identity
	 * @throws ApiProblem {@code 401 unauthorized} for an unknown or missing required key
	 */
	ClientIdentity resolve(ServerHttpRequest request, boolean checkKeys) {
		if (checkKeys && this.keys.configured()) {
			Optional<String> presented = presentedKey(request.getHeaders());
			if (presented.isPresent()) {
				ApiKey key = this.keys.lookup(presented.get())
					.orElseThrow(() -> ApiProblem.of(ProblemTypes.UNAUTHORIZED, 401, "Unknown API key",
							"The API key sent is not valid. Send a valid key as Authorization: Bearer <key> or "
									+ "X-API-Key: <key>, or none for anonymous use."));
				return new ClientIdentity(key.name(), ClientIdentity.KEY, "key:" + key.name(),
						(key.generationsPerMinute() != null) ? key.generationsPerMinute()
								: this.properties.keyGenerationsPerMinute(),
						(key.maxConcurrent() != null) ? key.maxConcurrent() : this.properties.keyMaxConcurrent());
			}
			if (this.properties.requireApiKey()) {
				throw ApiProblem.of(ProblemTypes.UNAUTHORIZED, 401, "API key required",
						"This service requires an API key: send it as Authorization: Bearer <key> or X-API-Key: <key>.");
			}
		}
		return new ClientIdentity(ClientIdentity.ANONYMOUS, ClientIdentity.ANONYMOUS, "ip:" + clientAddress(request),
				this.properties.anonGenerationsPerMinute(), this.properties.anonMaxConcurrent());
	}

	private String clientAddress(ServerHttpRequest request) {
		InetSocketAddress remote = request.getRemoteAddress();
		InetAddress peer = (remote != null) ? remote.getAddress() : null;
		if (peer == null) {
			// No socket (an in-memory test exchange): one shared anonymous client.
			return "unknown";
		}
		return this.proxies.clientAddress(peer, request.getHeaders());
	}

	/** The key from {@code X-API-Key}, else from a {@code Bearer} authorization. */
	static Optional<String> presentedKey(HttpHeaders headers) {
		String apiKey = headers.getFirst(API_KEY_HEADER);
		if (apiKey != null && !apiKey.isBlank()) {
			return Optional.of(apiKey.trim());
		}
		String authorization = headers.getFirst(HttpHeaders.AUTHORIZATION);
		if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
			String token = authorization.substring(7).trim();
			if (!token.isEmpty()) {
				return Optional.of(token);
			}
		}
		return Optional.empty();
	}

}

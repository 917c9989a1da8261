package dev.imagegen.api.openai;

import java.net.InetSocketAddress;
import java.util.regex.Pattern;

import dev.imagegen.api.clients.TrustedProxies;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.util.ForwardedHeaderUtils;
import org.springframework.web.util.UriComponentsBuilder;

/**
 * The scheme, host and port a client reached the API at, for the absolute image URLs it is given: those of the
 * request itself, or, when the TCP peer is a trusted proxy ({@code TRUSTED_PROXIES}), those the proxy forwarded
 * ({@code Forwarded}, {@code X-Forwarded-Proto}/{@code -Host}/{@code -Port}, and {@code X-Forwarded-Prefix} for a
 * proxy that mounts the API under a path). Anyone else's forwarded headers are ignored: believed, they would let a
 * client put any host into the URLs.
 */
final class PublicBaseUrl {

	private static final Pattern PREFIX = Pattern.compile("(/[A-Za-z0-9._~-]+)+");

	private final TrustedProxies proxies;

	PublicBaseUrl(TrustedProxies proxies) {
		this.proxies = proxies;
	}

	/**
	 * @param request the request
	 * @return e.g. {@code https://images.example.com} or {@code http://127.0.0.1:8080/imagegen}, without a trailing slash
	 */
	String of(ServerHttpRequest request) {
		InetSocketAddress remote = request.getRemoteAddress();
		boolean trusted = remote != null && remote.getAddress() != null && this.proxies.trusts(remote.getAddress());
		String prefix = "";
		UriComponentsBuilder builder = null;
		if (trusted) {
			try {
				builder = ForwardedHeaderUtils.adaptFromForwardedHeaders(request.getURI(), request.getHeaders());
			}
			catch (RuntimeException ex) {
				// A forwarded header that does not parse: the request's own address is still right for the proxy.
				builder = null;
			}
			String forwardedPrefix = request.getHeaders().getFirst("X-Forwarded-Prefix");
			if (forwardedPrefix != null) {
				String trimmed = forwardedPrefix.trim();
				while (trimmed.endsWith("/")) {
					trimmed = trimmed.substring(0, trimmed.length() - 1);
				}
				if (PREFIX.matcher(trimmed).matches()) {
					prefix = trimmed;
				}
			}
		}
		if (builder == null) {
			builder = UriComponentsBuilder.fromUri(request.getURI());
		}
		return builder.replacePath(prefix).replaceQuery(null).fragment(null).build().toUriString();
	}

}

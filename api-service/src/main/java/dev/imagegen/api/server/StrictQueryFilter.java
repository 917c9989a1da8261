package dev.imagegen.api.server;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import reactor.core.publisher.Mono;

import dev.imagegen.api.problem.ApiProblem;
import dev.imagegen.api.problem.InvalidParameter;
import org.springframework.core.Ordered;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;

/**
 * Rejects a query string whose percent-encoded bytes are not UTF-8 with a {@code validation-error} that
 * names the parameter. Spring decodes query parameters leniently, turning {@code %ff} into U+FFFD, so a
 * prompt the caller never wrote would reach the worker; this filter decodes the raw query itself with a
 * decoder that reports malformed input, before any handler reads the parameters.
 */
@Component
class StrictQueryFilter implements WebFilter, Ordered {

	@Override
	public int getOrder() {
		// Inside AccessLogFilter, which renders the problem and logs it with the request id.
		return Ordered.HIGHEST_PRECEDENCE + 10;
	}

	@Override
	public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
		String rawQuery = exchange.getRequest().getURI().getRawQuery();
		if (rawQuery != null && !rawQuery.isEmpty()) {
			List<InvalidParameter> errors = check(rawQuery);
			if (!errors.isEmpty()) {
				return Mono.error(ApiProblem.validation(errors));
			}
		}
		return chain.filter(exchange);
	}

	/**
	 * Every parameter of a raw query whose name or value is not valid percent-encoded UTF-8.
	 * @param rawQuery the query as sent, without {@code ?}
	 * @return the offending parameters, empty when all are valid
	 */
	static List<InvalidParameter> check(String rawQuery) {
		List<InvalidParameter> errors = new ArrayList<>();
		for (String pair : rawQuery.split("&")) {
			if (pair.isEmpty()) {
				continue;
			}
			int equals = pair.indexOf('=');
			String rawName = (equals >= 0) ? pair.substring(0, equals) : pair;
			String name = decode(rawName);
			if (name == null) {
				// The raw (percent-encoded) form is ASCII, so it can be shown as it was sent.
				errors.add(new InvalidParameter(rawName,
						"the name is not valid UTF-8 once percent-decoded; encode text as UTF-8"));
				continue;
			}
			if (equals >= 0 && decode(pair.substring(equals + 1)) == null) {
				errors.add(new InvalidParameter(name, "is not valid UTF-8 once percent-decoded (e.g. %ff is not a "
						+ "character); encode text as UTF-8, e.g. %C3%A9 for \u00e9"));
			}
		}
		return errors;
	}

	/** Percent- and {@code +}-decodes one component; {@code null} when the bytes are not UTF-8. */
	private static String decode(String component) {
		if (component.indexOf('%') < 0) {
			return component.replace('+', ' ');
		}
		ByteBuffer bytes = ByteBuffer.allocate(component.length());
		for (int i = 0; i < component.length(); i++) {
			char c = component.charAt(i);
			if (c == '%') {
				if (i + 2 >= component.length()) {
					return null;
				}
				int high = Character.digit(component.charAt(i + 1), 16);
				int low = Character.digit(component.charAt(i + 2), 16);
				if (high < 0 || low < 0) {
					return null;
				}
				bytes.put((byte) ((high << 4) + low));
				i += 2;
			}
			else if (c == '+') {
				bytes.put((byte) ' ');
			}
			else if (c < 0x80) {
				bytes.put((byte) c);
			}
			else {
				// java.net.URI keeps non-ASCII characters as they came: encode them back to UTF-8.
				byte[] encoded = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
				if (Character.isSurrogate(c) || bytes.remaining() < encoded.length) {
					return null;
				}
				bytes.put(encoded);
			}
		}
		bytes.flip();
		CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
			.onMalformedInput(CodingErrorAction.REPORT)
			.onUnmappableCharacter(CodingErrorAction.REPORT);
		try {
			CharBuffer chars = decoder.decode(bytes);
			return chars.toString();
		}
		catch (CharacterCodingException ex) {
			return null;
		}
	}

}

package dev.imagegen.api.generate;

import java.util.List;

import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

import dev.imagegen.api.config.ApiProperties;
import dev.imagegen.api.problem.ApiProblem;
import dev.imagegen.api.problem.InvalidParameter;
import dev.imagegen.api.problem.ProblemTypes;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.server.ServerWebExchange;

/**
 * Reads and validates the JSON body of {@code POST /generate} (and of {@code POST /jobs}, which takes the same
 * body): media type, no query parameters, size bound, then {@link GenerateRequestParser#fromJson}. One reader,
 * so that both routes answer bad input with the same problems.
 */
public final class GenerateBodyReader {

	private final GenerateRequestParser parser;

	private final long maxBodyBytes;

	/**
	 * Creates the reader.
	 * @param properties the API settings (prompt limit, body size)
	 * @param jsonMapper the application's JSON mapper
	 */
	public GenerateBodyReader(ApiProperties properties, JsonMapper jsonMapper) {
		this.parser = new GenerateRequestParser(properties.maxPromptLength(), jsonMapper);
		this.maxBodyBytes = properties.maxBodySize().toBytes();
	}

	/**
	 * Reads the request's body.
	 * @param exchange the request
	 * @return the validated request, or an {@link ApiProblem} error (415, 413, 400)
	 */
	public Mono<GenerateRequest> read(ServerWebExchange exchange) {
		ServerHttpRequest request = exchange.getRequest();
		String route = "POST " + request.getPath().pathWithinApplication().value();
		MediaType contentType = request.getHeaders().getContentType();
		if (contentType == null || !(contentType.isCompatibleWith(MediaType.APPLICATION_JSON)
				|| (contentType.getType().equals("application") && contentType.getSubtype().endsWith("+json")))) {
			return Mono.error(ApiProblem.of(ProblemTypes.UNSUPPORTED_MEDIA_TYPE, 415, "Unsupported media type",
					route + " takes a JSON object; send it with Content-Type: application/json"
							+ ((contentType != null) ? " (got " + contentType + ")." : ".")));
		}
		if (!request.getQueryParams().isEmpty()) {
			List<InvalidParameter> errors = request.getQueryParams()
				.keySet()
				.stream()
				.map((name) -> new InvalidParameter(name,
						"query parameters are not used with POST; put every field in the JSON body"))
				.toList();
			return Mono.error(ApiProblem.validation(errors));
		}
		return bytes(request, this.maxBodyBytes)
			.map(this.parser::fromJson);
	}

	/**
	 * Reads a JSON request body whole, within its size bound: the one body reader of every JSON route.
	 * @param request the request
	 * @param maxBodyBytes the bound ({@code imagegen.max-body-size})
	 * @return the bytes (empty for no body), or a {@code 413 payload-too-large} problem, announced by
	 * {@code Content-Length} or found while reading
	 */
	public static Mono<byte[]> bytes(ServerHttpRequest request, long maxBodyBytes) {
		if (request.getHeaders().getContentLength() > maxBodyBytes) {
			return Mono.error(tooLarge(maxBodyBytes));
		}
		return DataBufferUtils.join(request.getBody(), (int) Math.min(Integer.MAX_VALUE, maxBodyBytes))
			.map((buffer) -> {
				try {
					byte[] bytes = new byte[buffer.readableByteCount()];
					buffer.read(bytes);
					return bytes;
				}
				finally {
					DataBufferUtils.release(buffer);
				}
			})
			.defaultIfEmpty(new byte[0])
			.onErrorMap(DataBufferLimitException.class, (ex) -> tooLarge(maxBodyBytes));
	}

	private static ApiProblem tooLarge(long maxBodyBytes) {
		return ApiProblem.of(ProblemTypes.PAYLOAD_TOO_LARGE, 413, "Request body too large",
				"The JSON body must not be larger than " + maxBodyBytes + " bytes.");
	}

}

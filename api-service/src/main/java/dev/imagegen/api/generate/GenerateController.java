package dev.imagegen.api.generate;

import java.util.List;
import java.util.Locale;

import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

import dev.imagegen.api.clients.ClientIdentity;
import dev.imagegen.api.config.ApiProperties;
import dev.imagegen.api.context.RequestContext;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;

/**
 * {@code GET}, {@code HEAD} and {@code POST /generate}: validate; with a fixed seed answer {@code 304} from the
 * ETag or the image from the cache, or share a generation already in flight; otherwise pick the seed, forward to
 * a worker within the client's limits, store the image under the seed used, and return it with headers that make
 * it reproducible ({@code X-Seed}) and cacheable when it is.
 */
@RestController
class GenerateController {

	/** Long-lived caching is safe only when the seed, and with it the image, is fixed. */
	static final String IMMUTABLE = "public, max-age=31536000, immutable";

	static final String NO_STORE = "no-store";

	/** Whether the answer came from the API's image cache ({@code HIT}) or from a generation ({@code MISS}). */
	static final String X_CACHE = "X-Cache";

	private final GenerateRequestParser parser;

	private final GenerateBodyReader bodyReader;

	private final ImageGenerator generator;

	private final ObjectProvider<AsyncGenerations> async;

	GenerateController(ApiProperties properties, JsonMapper jsonMapper, ImageGenerator generator,
			ObjectProvider<AsyncGenerations> async) {
		this.generator = generator;
		this.parser = new GenerateRequestParser(properties.maxPromptLength(), jsonMapper);
		this.bodyReader = new GenerateBodyReader(properties, jsonMapper);
		this.async = async;
	}

	@GetMapping("/generate")
	Mono<ResponseEntity<DataBuffer>> get(ServerWebExchange exchange) {
		return Mono.fromSupplier(() -> this.parser.fromQuery(exchange.getRequest().getQueryParams()))
			.flatMap((request) -> generate(exchange, request));
	}

	@PostMapping("/generate")
	Mono<ResponseEntity<DataBuffer>> post(ServerWebExchange exchange) {
		return this.bodyReader.read(exchange).flatMap((generateRequest) -> generate(exchange, generateRequest));
	}

	/**
	 * {@code HEAD /generate}: what a monitor or a link checker needs, never a generation. Validates like GET; a
	 * stored image gives GET's headers (with {@code Content-Length}); otherwise the headers that are known
	 * without generating.
	 */
	@RequestMapping(path = "/generate", method = RequestMethod.HEAD)
	Mono<ResponseEntity<DataBuffer>> head(ServerWebExchange exchange) {
		return Mono.fromSupplier(() -> this.parser.fromQuery(exchange.getRequest().getQueryParams()))
			.flatMap((request) -> {
				String fingerprint = request.seedFixed() ? request.fingerprint() : null;
				String etag = (fingerprint != null) ? etag(fingerprint) : null;
				if (etag != null && matches(exchange.getRequest().getHeaders().get(HttpHeaders.IF_NONE_MATCH), etag)) {
					return Mono.just(notModified(request, etag));
				}
				return this.generator.lookup(request)
					.map(ImageAnswer::hitHeaders)
					.switchIfEmpty(Mono.fromSupplier(() -> {
						ResponseEntity.BodyBuilder builder = ResponseEntity.ok()
							.contentType(request.format().mediaType())
							.header(HttpHeaders.CACHE_CONTROL, (etag != null) ? IMMUTABLE : NO_STORE)
							.header(X_CACHE, "MISS");
						if (etag != null) {
							builder.eTag(etag).header("X-Seed", Long.toString(request.seed()));
						}
						return builder.<DataBuffer>build();
					}));
			});
	}

	private Mono<ResponseEntity<DataBuffer>> generate(ServerWebExchange exchange, GenerateRequest request) {
		exchange.getAttributes().put(RequestContext.PROMPT_LENGTH, request.prompt().codePointCount(0, request.prompt().length()));
		// The preference first: resolving the provider costs a bean lookup (5 % of a cache hit's CPU samples when it was
		// done for every request), and only a request that asks for a job needs it.
		AsyncGenerations jobs = AsyncGenerations.prefersAsync(exchange.getRequest().getHeaders())
				? this.async.getIfAvailable() : null;
		if (jobs != null) {
			// RFC 7240: the preference is honoured, so say so; the answer is the job, not the image.
			return jobs.submit(exchange, request).map((accepted) -> ResponseEntity.status(accepted.getStatusCode())
				.headers(accepted.getHeaders())
				.header("Preference-Applied", AsyncGenerations.RESPOND_ASYNC)
				.header(HttpHeaders.VARY, "Prefer")
				.body(exchange.getResponse().bufferFactory().wrap(accepted.getBody())));
		}
		if (request.seedFixed()) {
			String etag = etag(request.fingerprint());
			if (matches(exchange.getRequest().getHeaders().get(HttpHeaders.IF_NONE_MATCH), etag)) {
				return Mono.just(notModified(request, etag));
			}
		}
		ImageGenerator.Call call = new ImageGenerator.Call(exchange.getAttribute(ClientIdentity.ATTRIBUTE),
				RequestContext.requestId(exchange), noCache(exchange.getRequest().getHeaders()),
				(worker) -> exchange.getAttributes().put(RequestContext.WORKER, worker));
		return this.generator.generate(request, call)
			.map((generated) -> ImageAnswer.of(request, generated, exchange.getResponse().bufferFactory()));
	}

	private static String etag(String fingerprint) {
		return ImageAnswer.etag(fingerprint);
	}

	static ResponseEntity<DataBuffer> notModified(GenerateRequest request, String etag) {
		return ResponseEntity.status(HttpStatus.NOT_MODIFIED)
			.eTag(etag)
			.header(HttpHeaders.CACHE_CONTROL, IMMUTABLE)
			.header("X-Seed", Long.toString(request.seed()))
			.build();
	}

	/**
	 * {@code Cache-Control: no-cache} from the client. Not {@code max-age=0}: browsers send that on an ordinary
	 * reload, which must not cost a generation.
	 */
	static boolean noCache(HttpHeaders headers) {
		List<String> values = headers.get(HttpHeaders.CACHE_CONTROL);
		if (values == null) {
			return false;
		}
		for (String value : values) {
			for (String directive : value.split(",")) {
				String d = directive.trim().toLowerCase(Locale.ROOT);
				if (d.equals("no-cache")) {
					return true;
				}
			}
		}
		return false;
	}

	/** Weak comparison, as RFC 9110 13.1.2 prescribes for {@code If-None-Match}. */
	static boolean matches(List<String> ifNoneMatch, String etag) {
		if (ifNoneMatch == null) {
			return false;
		}
		for (String header : ifNoneMatch) {
			for (String candidate : header.split(",")) {
				String tag = candidate.trim();
				if (tag.equals("*")) {
					return true;
				}
				if (tag.startsWith("W/")) {
					tag = tag.substring(2);
				}
				if (tag.equals(etag)) {
					return true;
				}
			}
		}
		return false;
	}

}

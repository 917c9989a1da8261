package dev.imagegen.api.generate;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

import dev.imagegen.api.cache.StoredImage;
import dev.imagegen.api.clients.ClientIdentity;
import dev.imagegen.api.config.ApiProperties;
import dev.imagegen.api.problem.ApiProblem;
import dev.imagegen.api.problem.InvalidParameter;
import dev.imagegen.api.problem.ProblemTypes;
import dev.imagegen.api.web.RequestContext;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.ContentDisposition;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.server.reactive.ServerHttpRequest;
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

	private final long maxBodyBytes;

	private final ImageGenerator generator;

	GenerateController(ApiProperties properties, JsonMapper jsonMapper, ImageGenerator generator) {
		this.generator = generator;
		this.parser = new GenerateRequestParser(properties.maxPromptLength(), jsonMapper);
		this.maxBodyBytes = properties.maxBodySize().toBytes();
	}

	@GetMapping("/generate")
	Mono<ResponseEntity<DataBuffer>> get(ServerWebExchange exchange) {
		return Mono.fromSupplier(() -> this.parser.fromQuery(exchange.getRequest().getQueryParams()))
			.flatMap((request) -> generate(exchange, request));
	}

	@PostMapping("/generate")
	Mono<ResponseEntity<DataBuffer>> post(ServerWebExchange exchange) {
		ServerHttpRequest request = exchange.getRequest();
		MediaType contentType = request.getHeaders().getContentType();
		if (contentType == null || !(contentType.isCompatibleWith(MediaType.APPLICATION_JSON)
				|| (contentType.getType().equals("application") && contentType.getSubtype().endsWith("+json")))) {
			return Mono.error(ApiProblem.of(ProblemTypes.UNSUPPORTED_MEDIA_TYPE, 415, "Unsupported media type",
					"POST /generate takes a JSON object; send it with Content-Type: application/json"
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
		if (request.getHeaders().getContentLength() > this.maxBodyBytes) {
			return Mono.error(tooLarge());
		}
		return DataBufferUtils.join(request.getBody(), (int) Math.min(Integer.MAX_VALUE, this.maxBodyBytes))
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
			.onErrorMap(DataBufferLimitException.class, (ex) -> tooLarge())
			.map(this.parser::fromJson)
			.flatMap((generateRequest) -> generate(exchange, generateRequest));
	}

	private ApiProblem tooLarge() {
		return ApiProblem.of(ProblemTypes.PAYLOAD_TOO_LARGE, 413, "Request body too large",
				"The JSON body must not be larger than " + this.maxBodyBytes + " bytes.");
	}

	/**
	 * {@code HEAD /generate}: what a monitor or a link checker needs, never a generation. Validates like GET; a
	 * stored image gives GET's headers (with {@code Content-Length}); otherwise the headers that are known
	 * without generating.
	 */
	@RequestMapping(path = "/generate", method = RequestMethod.HEAD)
	Mono<ResponseEntity<DataBuffer>> head(ServerWebExchange exchange) {
		return Mono.fromSupplier(() -> this.parser.fromQuery(exchange.getRequest().getQueryParams()))
			.map((request) -> {
				String fingerprint = request.seedFixed() ? request.fingerprint() : null;
				String etag = (fingerprint != null) ? etag(fingerprint) : null;
				if (etag != null && matches(exchange.getRequest().getHeaders().get(HttpHeaders.IF_NONE_MATCH), etag)) {
					return notModified(request, etag);
				}
				Optional<ImageGenerator.Generated> stored = this.generator.lookup(request);
				if (stored.isPresent()) {
					return hit(stored.get()).body(null);
				}
				ResponseEntity.BodyBuilder builder = ResponseEntity.ok()
					.contentType(request.format().mediaType())
					.header(HttpHeaders.CACHE_CONTROL, (etag != null) ? IMMUTABLE : NO_STORE)
					.header(X_CACHE, "MISS");
				if (etag != null) {
					builder.eTag(etag).header("X-Seed", Long.toString(request.seed()));
				}
				return builder.build();
			});
	}

	private Mono<ResponseEntity<DataBuffer>> generate(ServerWebExchange exchange, GenerateRequest request) {
		exchange.getAttributes().put(RequestContext.PROMPT_LENGTH, request.prompt().codePointCount(0, request.prompt().length()));
		if (request.seedFixed()) {
			String etag = etag(request.fingerprint());
			if (matches(exchange.getRequest().getHeaders().get(HttpHeaders.IF_NONE_MATCH), etag)) {
				return Mono.just(notModified(request, etag));
			}
		}
		ImageGenerator.Call call = new ImageGenerator.Call(exchange.getAttribute(ClientIdentity.ATTRIBUTE),
				RequestContext.requestId(exchange), noCache(exchange.getRequest().getHeaders()),
				(worker) -> exchange.getAttributes().put(RequestContext.WORKER, worker));
		return this.generator.generate(request, call).map((generated) -> {
			ResponseEntity.BodyBuilder builder = generated.hit() ? hit(generated) : miss(request, generated);
			// A hit writes the stored direct buffer as it is; a fresh image goes out from the heap array it
			// arrived in (moving every image off-heap made misses slower; see StoredImage).
			StoredImage image = generated.image();
			return builder.body(exchange.getResponse()
				.bufferFactory()
				.wrap(generated.hit() ? image.content() : ByteBuffer.wrap(image.bytes())));
		});
	}

	private static String etag(String fingerprint) {
		return "\"" + fingerprint + "\"";
	}

	private static ResponseEntity<DataBuffer> notModified(GenerateRequest request, String etag) {
		return ResponseEntity.status(HttpStatus.NOT_MODIFIED)
			.eTag(etag)
			.header(HttpHeaders.CACHE_CONTROL, IMMUTABLE)
			.header("X-Seed", Long.toString(request.seed()))
			.build();
	}

	/**
	 * A fresh image: cacheable by anyone, for ever, only when the caller fixed the seed (then it has an ETag).
	 */
	private static ResponseEntity.BodyBuilder miss(GenerateRequest asked, ImageGenerator.Generated generated) {
		String etag = asked.seedFixed() ? etag(generated.fingerprint()) : null;
		return image(generated.request(), generated.image(), generated.fingerprint(), etag)
			.header(HttpHeaders.CACHE_CONTROL, (etag != null) ? IMMUTABLE : NO_STORE)
			.header(X_CACHE, "MISS");
	}

	/** A stored image for a fixed-seed request: the headers of a fresh answer plus {@code X-Cache} and {@code Age}. */
	private static ResponseEntity.BodyBuilder hit(ImageGenerator.Generated generated) {
		return image(generated.request(), generated.image(), generated.fingerprint(), etag(generated.fingerprint()))
			.header(HttpHeaders.CACHE_CONTROL, IMMUTABLE)
			.header(X_CACHE, "HIT")
			.header(HttpHeaders.AGE, Long.toString(generated.age().toSeconds()));
	}

	/**
	 * The headers every image answer has. A hit's body is a view of the stored direct buffer (see
	 * {@link StoredImage}): it costs neither an allocation nor a copy of the image's size.
	 */
	private static ResponseEntity.BodyBuilder image(GenerateRequest request, StoredImage image, String fingerprint,
			String etag) {
		String filename = "imagegen-" + fingerprint.substring(0, 12) + "-" + image.seed() + "."
				+ request.format().extension();
		ResponseEntity.BodyBuilder builder = ResponseEntity.ok()
			.contentType(image.mediaType())
			.contentLength(image.size())
			.header("X-Seed", Long.toString(image.seed()))
			.header(HttpHeaders.CONTENT_DISPOSITION, ContentDisposition.inline().filename(filename).build().toString());
		if (etag != null) {
			builder.eTag(etag);
		}
		return builder;
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

package dev.imagegen.api.generate;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

import dev.imagegen.api.clients.GenerationGate;
import dev.imagegen.api.config.ApiProperties;
import dev.imagegen.api.problem.ApiProblem;
import dev.imagegen.api.problem.InvalidParameter;
import dev.imagegen.api.problem.ProblemTypes;
import dev.imagegen.api.web.RequestContext;
import dev.imagegen.api.worker.WorkerImage;
import dev.imagegen.api.worker.WorkerPool;
import dev.imagegen.api.worker.WorkerRequest;
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
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;

/**
 * {@code GET /generate} and {@code POST /generate}: validate, answer {@code 304} from the ETag when the
 * caller fixed the seed, otherwise pick the seed, forward to a worker and return the checked image with
 * headers that make it reproducible ({@code X-Seed}) and cacheable when it is.
 */
@RestController
class GenerateController {

	/** Long-lived caching is safe only when the seed, and with it the image, is fixed. */
	static final String IMMUTABLE = "public, max-age=31536000, immutable";

	static final String NO_STORE = "no-store";

	private final GenerateRequestParser parser;

	private final WorkerPool workers;

	private final long maxBodyBytes;

	private final GenerationGate gate;

	GenerateController(ApiProperties properties, WorkerPool workers, JsonMapper jsonMapper, GenerationGate gate) {
		this.gate = gate;
		this.parser = new GenerateRequestParser(properties.maxPromptLength(), jsonMapper);
		this.workers = workers;
		this.maxBodyBytes = properties.maxBodySize().toBytes();
	}

	@GetMapping("/generate")
	Mono<ResponseEntity<byte[]>> get(ServerWebExchange exchange) {
		return Mono.fromSupplier(() -> this.parser.fromQuery(exchange.getRequest().getQueryParams()))
			.flatMap((request) -> generate(exchange, request));
	}

	@PostMapping("/generate")
	Mono<ResponseEntity<byte[]>> post(ServerWebExchange exchange) {
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

	private Mono<ResponseEntity<byte[]>> generate(ServerWebExchange exchange, GenerateRequest request) {
		exchange.getAttributes().put(RequestContext.PROMPT_LENGTH, request.prompt().codePointCount(0, request.prompt().length()));
		// Only a fixed seed fixes the image: then the fingerprint is computed once, for the ETag and the file name.
		String fingerprint = request.seedFixed() ? request.fingerprint() : null;
		String etag = (fingerprint != null) ? "\"" + fingerprint + "\"" : null;
		if (etag != null && matches(exchange.getRequest().getHeaders().get(HttpHeaders.IF_NONE_MATCH), etag)) {
			return Mono.just(ResponseEntity.status(HttpStatus.NOT_MODIFIED)
				.eTag(etag)
				.header(HttpHeaders.CACHE_CONTROL, IMMUTABLE)
				.header("X-Seed", Long.toString(request.seed()))
				.build());
		}
		if (!this.workers.configured()) {
			return Mono.error(this.workers.notConfigured());
		}
		GenerateRequest seeded = request.seedFixed() ? request
				: request.withSeed(ThreadLocalRandom.current().nextLong(0, GenerateRequestParser.MAX_SEED + 1));
		WorkerRequest workerRequest = new WorkerRequest(seeded.prompt(), seeded.negativePrompt(), seeded.seed(),
				seeded.guidanceScale(), seeded.shape().wireName(), seeded.format().wireName());
		return this.gate
			.admit(exchange, () -> this.workers.generate(workerRequest, seeded.format().mediaType(),
					RequestContext.requestId(exchange), (worker) -> exchange.getAttributes().put(RequestContext.WORKER, worker)))
			.map((image) -> success(seeded, (fingerprint != null) ? fingerprint : seeded.fingerprint(), etag, image));
	}

	/**
	 * The image response; {@code etag} is {@code null} unless the caller fixed the seed.
	 */
	private static ResponseEntity<byte[]> success(GenerateRequest seeded, String fingerprint, String etag,
			WorkerImage image) {
		long seed = (image.seed() != null) ? image.seed() : seeded.seed();
		String filename = "imagegen-" + fingerprint.substring(0, 12) + "-" + seed + "."
				+ seeded.format().extension();
		ResponseEntity.BodyBuilder builder = ResponseEntity.ok()
			.contentType(image.mediaType())
			.contentLength(image.bytes().length)
			.header("X-Seed", Long.toString(seed))
			.header(HttpHeaders.CONTENT_DISPOSITION, ContentDisposition.inline().filename(filename).build().toString())
			.header(HttpHeaders.CACHE_CONTROL, (etag != null) ? IMMUTABLE : NO_STORE);
		if (etag != null) {
			builder.eTag(etag);
		}
		return builder.body(image.bytes());
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

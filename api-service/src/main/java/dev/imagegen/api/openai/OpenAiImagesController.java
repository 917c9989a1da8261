package dev.imagegen.api.openai;

import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

import dev.imagegen.api.clients.ClientIdentity;
import dev.imagegen.api.config.ApiProperties;
import dev.imagegen.api.context.RequestContext;
import dev.imagegen.api.generate.GenerateBodyReader;
import dev.imagegen.api.generate.GenerateRequest;
import dev.imagegen.api.generate.GenerateRequestParser;
import dev.imagegen.api.generate.ImageGenerator;
import dev.imagegen.api.problem.ApiProblem;
import dev.imagegen.api.problem.ProblemTypes;
import org.springframework.http.ContentDisposition;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;

/**
 * OpenAI's Images API as a second front door to the one generation path: {@code POST /v1/images/generations}
 * turns its body into {@code /generate} requests and runs each image through {@link ImageGenerator} (cache,
 * single-flight, client limits), no more of them at once than the client's concurrency cap;
 * {@code GET /v1/images/{name}} serves the images answered by URL; {@code GET /v1/models} names the one model.
 */
@RestController
class OpenAiImagesController {

	private static final Logger logger = LoggerFactory.getLogger(OpenAiImagesController.class);

	/** The one model; its {@code created} is fixed (2025-01-01) so that clients caching the list see no change. */
	static final Map<String, Object> MODEL = model();

	/** What a model name may look like in the log; anything else is shown as {@code ?}. */
	private static final Pattern LOGGABLE = Pattern.compile("[A-Za-z0-9._:/-]{1,64}");

	private final OpenAiRequestParser parser;

	private final ImageGenerator generator;

	private final UrlImages urls;

	private final PublicBaseUrl baseUrl;

	private final long maxBodyBytes;

	OpenAiImagesController(ApiProperties properties, JsonMapper jsonMapper, ImageGenerator generator,
			UrlImages urls, PublicBaseUrl baseUrl) {
		this.parser = new OpenAiRequestParser(new GenerateRequestParser(properties.maxPromptLength(), jsonMapper));
		this.generator = generator;
		this.urls = urls;
		this.baseUrl = baseUrl;
		this.maxBodyBytes = properties.maxBodySize().toBytes();
	}

	@PostMapping("/v1/images/generations")
	Mono<ResponseEntity<Map<String, Object>>> generations(ServerWebExchange exchange) {
		ServerHttpRequest request = exchange.getRequest();
		MediaType contentType = request.getHeaders().getContentType();
		if (contentType == null || !contentType.isCompatibleWith(MediaType.APPLICATION_JSON)) {
			return Mono.error(ApiProblem.of(ProblemTypes.UNSUPPORTED_MEDIA_TYPE, 415, "Unsupported media type",
					"POST /v1/images/generations takes a JSON object; send it with Content-Type: application/json"
							+ ((contentType != null) ? " (got " + contentType + ")." : ".")));
		}
		return GenerateBodyReader.bytes(request, this.maxBodyBytes)
			.map(this.parser::parse)
			.flatMap((images) -> generate(exchange, images));
	}

	private Mono<ResponseEntity<Map<String, Object>>> generate(ServerWebExchange exchange, OpenAiImageRequest images) {
		GenerateRequest first = images.request();
		exchange.getAttributes().put(RequestContext.PROMPT_LENGTH, first.prompt().codePointCount(0, first.prompt().length()));
		// The model asked for is echoed for operators (which tools call); it is the caller's text, so only a plain
		// identifier is written, never the prompt.
		logger.info("requestId={} model={} n={} responseFormat={}", RequestContext.requestId(exchange),
				loggable(images.model()), images.n(), images.base64() ? "b64_json" : "url");
		ClientIdentity client = exchange.getAttribute(ClientIdentity.ATTRIBUTE);
		// Each image passes the client gate on its own; running more at once than the cap would only turn the
		// extra ones into 429s.
		int concurrency = Math.min(images.n(), (client != null) ? Math.max(1, client.maxConcurrent()) : images.n());
		ImageGenerator.Call call = new ImageGenerator.Call(client, RequestContext.requestId(exchange), false,
				(worker) -> exchange.getAttributes().put(RequestContext.WORKER, worker));
		String base = images.base64() ? null : this.baseUrl.of(exchange.getRequest());
		return Flux.range(0, images.n())
			.flatMapSequential((i) -> this.generator.generate(images.image(i), call), concurrency, 1)
			.collectList()
			// Kept only once all of them succeeded (a failed call hands out no URL, so none should take room), and
			// each URL only once its image is kept (in the Redis mode: in Redis, so that every replica serves it).
			.flatMap((generated) -> Flux.fromIterable(generated)
				.concatMap((image) -> item(image, images.base64(), base))
				.collectList())
			// The images of a call that failed part-way (one generation's problem, the caller gone) are dropped
			// unanswered: their references are released here (once: a second release does nothing).
			.doOnDiscard(ImageGenerator.Generated.class, (dropped) -> dropped.image().release())
			.map((data) -> {
				Map<String, Object> body = new LinkedHashMap<>();
				body.put("created", Instant.now().getEpochSecond());
				body.put("data", data);
				return ResponseEntity.ok().header(HttpHeaders.CACHE_CONTROL, "no-store").body(body);
			});
	}

	private Mono<Map<String, Object>> item(ImageGenerator.Generated image, boolean base64, String base) {
		// Either way the generated image's reference (a cache hit's) is released once used: the URL store keeps
		// a reference of its own.
		Mono<Map<String, Object>> item = base64
				? Mono.fromSupplier(() -> item("b64_json", Base64.getEncoder().encodeToString(image.image().bytes())))
				: this.urls.keep(image).map((name) -> item("url", base + "/v1/images/" + name));
		return item.doFinally((signal) -> image.image().release()).map((answer) -> {
			answer.put("revised_prompt", image.request().prompt());
			answer.put("seed", image.image().seed());
			return answer;
		});
	}

	private static Map<String, Object> item(String field, String value) {
		Map<String, Object> item = new LinkedHashMap<>();
		item.put(field, value);
		return item;
	}

	/**
	 * An image answered by URL, with the headers of {@code /generate}. The bytes under a name never change, so
	 * caches may keep them; {@code private}, because the URL was meant for the caller who asked.
	 */
	@GetMapping("/v1/images/{name}")
	Mono<ResponseEntity<byte[]>> image(@PathVariable String name) {
		return this.urls.find(name)
			.switchIfEmpty(Mono.error(() -> ApiProblem.of(ProblemTypes.NOT_FOUND, 404, "Not found",
					"No image is kept under this name; images answered by URL are kept for one hour.")))
			.map((kept) -> {
				try {
					return answer(kept);
				}
				finally {
					kept.image().release();
				}
			});
	}

	private static ResponseEntity<byte[]> answer(UrlImage kept) {
		return ResponseEntity.ok()
			.contentType(kept.image().mediaType())
			.contentLength(kept.image().size())
			.eTag("\"" + kept.fingerprint() + "\"")
			.header("X-Seed", Long.toString(kept.image().seed()))
			.header(HttpHeaders.CONTENT_DISPOSITION,
					ContentDisposition.inline().filename(kept.filename()).build().toString())
			.header(HttpHeaders.CACHE_CONTROL,
					"private, max-age=" + UrlImageStore.LIFETIME.toSeconds() + ", immutable")
			.body(kept.image().bytes());
	}

	@GetMapping("/v1/models")
	Map<String, Object> models() {
		return Map.of("object", "list", "data", List.of(MODEL));
	}

	@GetMapping("/v1/models/{id}")
	Map<String, Object> model(@PathVariable String id) {
		if (!id.equals(MODEL.get("id"))) {
			throw ApiProblem.of(ProblemTypes.NOT_FOUND, 404, "Not found",
					"The only model is perchance (GET /v1/models lists it).");
		}
		return MODEL;
	}

	private static Map<String, Object> model() {
		Map<String, Object> model = new LinkedHashMap<>();
		model.put("id", "perchance");
		model.put("object", "model");
		model.put("created", 1735689600L);
		model.put("owned_by", "imagegen");
		return model;
	}

	/** The model name is the caller's text: only a plain identifier reaches the log. */
	private static String loggable(String model) {
		if (model == null) {
			return "-";
		}
		return LOGGABLE.matcher(model).matches() ? model : "?";
	}

}

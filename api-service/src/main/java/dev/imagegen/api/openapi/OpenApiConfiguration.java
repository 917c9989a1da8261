package dev.imagegen.api.openapi;

import java.math.BigDecimal;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.headers.Header;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.info.License;
import io.swagger.v3.oas.models.media.ArraySchema;
import io.swagger.v3.oas.models.media.BinarySchema;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.IntegerSchema;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.NumberSchema;
import io.swagger.v3.oas.models.media.ObjectSchema;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.media.StringSchema;
import io.swagger.v3.oas.models.parameters.Parameter;
import io.swagger.v3.oas.models.parameters.RequestBody;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.responses.ApiResponses;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import org.springdoc.core.customizers.OpenApiCustomizer;

import dev.imagegen.api.config.ApiProperties;
import dev.imagegen.api.problem.ProblemTypes;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The public API's OpenAPI 3.1 document ({@code /openapi.json}, page at {@code /docs}). springdoc finds the
 * routes from the controllers; the controllers read their parameters from the exchange (so that unknown and
 * repeated parameters are problems, docs/api.md), so this customizer adds what springdoc cannot see: the
 * parameters and their rules, the request and response headers and the problem types of each route. Routes
 * it does not know (added later) keep what springdoc found. Problem types are {@link ProblemTypes}
 * constants, listed per response in {@code x-problem-types}. The jobs and OpenAI routes are described by
 * {@link JobsAndOpenAiDocs}; the routes springdoc does not find (the page, its settings, the probes) by
 * {@link ProbesAndPageDocs}.
 */
@Configuration(proxyBeanMethods = false)
class OpenApiConfiguration {

	static final String PROBLEM_JSON = "application/problem+json";

	/** The extension that lists a problem response's types ({@link ProblemTypes} constants, or a worker's). */
	static final String PROBLEM_TYPES = "x-problem-types";

	static final String RETRY_AFTER = "Retry-After";

	/** What every route behind the client filter meets when Redis fails (docs/api.md, "Clients, keys and limits"). */
	static final String REDIS_DOWN = "Redis mode: Redis did not answer within its command timeout (2 s), so no "
			+ "client limit could be decided, or a read of shared state failed; Retry-After: 5";

	private static final String RESPONSES = "#/components/responses/";

	private static final String URI_TOO_LONG = "UriTooLong";

	private static final String HEADERS_TOO_LARGE = "HeadersTooLarge";

	private static final String METHOD_NOT_ALLOWED = "MethodNotAllowed";

	private static final String OPENAI_METHOD_NOT_ALLOWED = "OpenAiMethodNotAllowed";

	private static final String OTHER_METHOD_NOT_FOUND = "OtherMethodNotFound";

	/** The answer a path gives to the methods it does not serve, by status (OpenAPI has no place for it). */
	private static final String OTHER_METHODS = "x-other-methods";

	@Bean
	OpenAPI imagegenOpenApi() {
		return new OpenAPI()
			.info(new Info().title("imagegen public API")
				.version("1")
				.description("Text-to-image over HTTP. Reference: docs/api.md; operations: docs/operations.md.")
				.license(new License().name("see repository")))
			.components(new Components().addSecuritySchemes("apiKey", new SecurityScheme().type(SecurityScheme.Type.HTTP)
					.scheme("bearer")
					.description("An API key from API_KEYS_FILE (optional unless REQUIRE_API_KEY=true)")));
	}

	@Bean
	OpenApiCustomizer imagegenRoutes(ApiProperties properties) {
		int maxPrompt = properties.maxPromptLength();
		return (openApi) -> {
			if (openApi.getPaths() == null) {
				return;
			}
			// Added here, not on the OpenAPI bean: springdoc replaces the bean's schemas with those it computes
			// from the controllers, which left every $ref to them dangling.
			if (openApi.getComponents() == null) {
				openApi.setComponents(new Components());
			}
			openApi.getComponents()
				.addSchemas("Problem", problemSchema())
				.addSchemas("Job", JobsAndOpenAiDocs.jobSchema())
				.addSchemas("JobStreamError", JobsAndOpenAiDocs.streamErrorSchema())
				.addSchemas("OpenAiError", JobsAndOpenAiDocs.openAiErrorSchema());
			PathItem generate = openApi.getPaths().get("/generate");
			if (generate != null) {
				if (generate.getGet() != null) {
					describeGenerate(generate.getGet(), "Generate an image (query parameters)", maxPrompt, true);
					JobsAndOpenAiDocs.respondAsync(generate.getGet());
				}
				if (generate.getHead() != null) {
					describeGenerate(generate.getHead(),
							"Validate and read the headers of a generation without generating", maxPrompt, true);
					withoutGenerating(generate.getHead());
				}
				if (generate.getPost() != null) {
					Operation post = generate.getPost();
					describeGenerate(post, "Generate an image (JSON body)", maxPrompt, false);
					post.requestBody(new RequestBody().required(true)
						.content(new Content().addMediaType("application/json",
								new MediaType().schema(generateBody(maxPrompt)))));
					post.getResponses()
						.addApiResponse("413", problem("The body is larger than imagegen.max-body-size (64 KB)",
								ProblemTypes.PAYLOAD_TOO_LARGE))
						.addApiResponse("415", problem("The body is not application/json",
								ProblemTypes.UNSUPPORTED_MEDIA_TYPE));
					post.getResponses()
						.addApiResponse("400", problem("A field is missing, unknown, of the wrong type or out of "
								+ "range, a query parameter was sent, or the body is not one JSON object",
								ProblemTypes.VALIDATION_ERROR, ProblemTypes.MALFORMED_JSON));
					JobsAndOpenAiDocs.respondAsync(post);
				}
			}
			JobsAndOpenAiDocs.describeJobs(openApi.getPaths(), maxPrompt);
			JobsAndOpenAiDocs.describeOpenAi(openApi.getPaths(), maxPrompt);
			PathItem health = openApi.getPaths().get("/health");
			if (health != null && health.getGet() != null) {
				health.getGet()
					.summary("Health of the API and its workers")
					.description("UP, DEGRADED (some workers down) or DOWN (503). In the Redis mode the live workers "
							+ "come from their heartbeats and a redis member says whether Redis answers. "
							+ "Probes: /livez, /readyz.")
					.responses(new ApiResponses()
						.addApiResponse("200", new ApiResponse().description("UP or DEGRADED")
							.content(json(new ObjectSchema())))
						.addApiResponse("503", new ApiResponse().description("DOWN: no worker usable, or Redis unreachable")
							.content(json(new ObjectSchema()))));
			}
			ProbesAndPageDocs.describe(openApi.getPaths());
			retryAfterOnEveryWait(openApi);
			anyRouteProblems(openApi);
		};
	}

	/**
	 * {@code HEAD /generate} never generates (GenerateController): it meets no worker, no generation gate and no
	 * shared queue, so its answers are those of validation, the request rate and, in the Redis mode, the shared
	 * client limiter failing (the cache lookup falls back to a miss when Redis fails).
	 */
	private static void withoutGenerating(Operation head) {
		ApiResponses responses = head.getResponses();
		responses.remove("502");
		responses.remove("504");
		responses.addApiResponse("429", problem("The client's requests per minute; see Retry-After",
				ProblemTypes.RATE_LIMITED))
			.addApiResponse("503", problem(REDIS_DOWN, ProblemTypes.QUEUE_UNAVAILABLE));
	}

	/**
	 * The problems a request meets whatever its route: a request line or header block too long for the server,
	 * answered before routing (server.MalformedRequestHandler: problem+json on every path, {@code /v1/} included,
	 * without {@code traceId}; the connection is closed), and a method its path does not serve (405 with
	 * {@code Allow}; under {@code /v1/} in OpenAI's envelope; 404 on the router functions' paths, which match on the
	 * method). Defined once in {@code components.responses}; each operation refers to the first two, and each path
	 * to its answer for other methods in {@code x-other-methods}, since OpenAPI has no place for the answer to a
	 * method a path does not have.
	 */
	private static void anyRouteProblems(OpenAPI openApi) {
		String beforeRouting = "; answered before routing, in problem+json on every path (/v1/ included), without "
				+ "traceId, and the connection is closed";
		openApi.getComponents()
			.addResponses(URI_TOO_LONG, problem("The request line is longer than the server accepts; send long "
					+ "prompts with POST and a JSON body" + beforeRouting, ProblemTypes.URI_TOO_LONG))
			.addResponses(HEADERS_TOO_LARGE, problem("The request's header block is larger than the server accepts"
					+ beforeRouting, ProblemTypes.HEADERS_TOO_LARGE))
			.addResponses(METHOD_NOT_ALLOWED, problem("A method this path does not serve; Allow lists those it does",
					ProblemTypes.METHOD_NOT_ALLOWED).headers(headerMap("Allow", "The methods the path serves")))
			.addResponses(OPENAI_METHOD_NOT_ALLOWED, JobsAndOpenAiDocs.openAiError("A method this path does not "
					+ "serve; Allow lists those it does", ProblemTypes.METHOD_NOT_ALLOWED)
				.addHeaderObject("Allow", responseHeader("The methods the path serves")))
			.addResponses(OTHER_METHOD_NOT_FOUND, problem("A method this path does not serve: the path is a router "
					+ "function (the page, its settings), which matches on the method, so no route is found",
					ProblemTypes.NOT_FOUND));
		for (Map.Entry<String, PathItem> path : openApi.getPaths().entrySet()) {
			String notAllowed = path.getKey().startsWith("/v1/") ? OPENAI_METHOD_NOT_ALLOWED : METHOD_NOT_ALLOWED;
			if (ProbesAndPageDocs.ROUTER_FUNCTIONS.contains(path.getKey())) {
				path.getValue()
					.addExtension(OTHER_METHODS, Map.of("404", Map.of("$ref", RESPONSES + OTHER_METHOD_NOT_FOUND)));
			}
			else {
				path.getValue().addExtension(OTHER_METHODS, Map.of("405", Map.of("$ref", RESPONSES + notAllowed)));
			}
			for (Operation operation : path.getValue().readOperations()) {
				if (operation.getResponses() != null) {
					operation.getResponses()
						.addApiResponse("414", new ApiResponse().$ref(RESPONSES + URI_TOO_LONG))
						.addApiResponse("431", new ApiResponse().$ref(RESPONSES + HEADERS_TOO_LARGE));
				}
			}
		}
	}

	/**
	 * Every 429 and 503 problem the API makes carries {@code Retry-After} (ProblemRenderer writes it from the
	 * problem; a worker's 503 passed on without one gets the API's default), so the header is added to all of them
	 * here rather than remembered route by route. The OpenAI envelopes declare it themselves.
	 */
	private static void retryAfterOnEveryWait(OpenAPI openApi) {
		for (PathItem item : openApi.getPaths().values()) {
			for (Operation operation : item.readOperations()) {
				if (operation.getResponses() == null) {
					continue;
				}
				for (String status : List.of("429", "503")) {
					ApiResponse response = operation.getResponses().get(status);
					if (response != null && response.getExtensions() != null
							&& response.getExtensions().containsKey(PROBLEM_TYPES)) {
						response.addHeaderObject(RETRY_AFTER, responseHeader("Seconds to wait before asking again"));
					}
				}
			}
		}
	}

	private static void describeGenerate(Operation operation, String summary, int maxPrompt, boolean query) {
		operation.summary(summary)
			.description("Rules and headers: docs/api.md. Cache hits, 304s and HEADs spend no generation.")
			.addSecurityItem(new SecurityRequirement().addList("apiKey"))
			.addSecurityItem(new SecurityRequirement());
		operation.setParameters(new java.util.ArrayList<>());
		if (query) {
			operation.addParametersItem(query("prompt", true,
					"Trimmed; then 1.." + maxPrompt + " Unicode code points (MAX_PROMPT_LENGTH)",
					new StringSchema().minLength(1).maxLength(maxPrompt)));
			operation.addParametersItem(query("negative_prompt", false, "Trimmed; 0.." + maxPrompt + " code points",
					new StringSchema().maxLength(maxPrompt)._default("")));
			operation.addParametersItem(query("seed", false, "-1 (random, the chosen seed is in X-Seed) or 0..2147483647",
					new IntegerSchema().minimum(BigDecimal.valueOf(-1)).maximum(BigDecimal.valueOf(Integer.MAX_VALUE))._default(-1)));
			operation.addParametersItem(query("guidance_scale", false, "1.0..30.0", new NumberSchema()
				.minimum(BigDecimal.ONE).maximum(BigDecimal.valueOf(30))._default(BigDecimal.valueOf(7))));
			operation.addParametersItem(query("shape", false, "portrait 512x768, landscape 768x512, square 768x768; any case",
					enumSchema("square", "portrait", "landscape", "square")));
			operation.addParametersItem(query("format", false, "Image format; any case", enumSchema("png", "png", "jpeg")));
		}
		operation.addParametersItem(header("X-Request-Id", "Kept when it matches [A-Za-z0-9._-]{1,64}; echoed"));
		operation.addParametersItem(header("traceparent", "W3C Trace Context; the trace id is in problem bodies as traceId"));
		operation.addParametersItem(header("If-None-Match", "With a fixed seed: a matching ETag gets 304"));
		operation.addParametersItem(header("Accept", "image/* or application/problem+json: how errors are answered"));
		operation.addParametersItem(header("Cache-Control", "no-cache skips the image cache"));
		ApiResponses responses = new ApiResponses()
			.addApiResponse("200", new ApiResponse().description("The image")
				.headers(Map.of("X-Seed", responseHeader("The seed used"), "X-Request-Id", responseHeader("The request id"),
						"X-Cache", responseHeader("HIT or MISS"), "ETag", responseHeader("With a fixed seed"),
						"Cache-Control", responseHeader("immutable with a fixed seed, no-store otherwise")))
				.content(new Content().addMediaType("image/png", new MediaType().schema(new BinarySchema()))
					.addMediaType("image/jpeg", new MediaType().schema(new BinarySchema()))))
			.addApiResponse("304", new ApiResponse().description("Not modified (fixed seed, matching If-None-Match)"))
			.addApiResponse("400", problem("A parameter is missing, unknown, repeated, of the wrong type or out of range",
					ProblemTypes.VALIDATION_ERROR, ProblemTypes.BAD_REQUEST))
			.addApiResponse("401", problem("The API key is unknown, or one is required (REQUIRE_API_KEY)",
					ProblemTypes.UNAUTHORIZED))
			.addApiResponse("429", problem("Client limits: generations or requests per minute, or concurrency; see Retry-After",
					ProblemTypes.RATE_LIMITED, ProblemTypes.TOO_MANY_CONCURRENT))
			.addApiResponse("422", upstreamRejected())
			.addApiResponse("500", problem("An unexpected failure in the API", ProblemTypes.INTERNAL_ERROR))
			.addApiResponse("502", problem("The worker answered something unusable or refused the API's token; "
					+ "a worker's 502 problem is passed on with its own type (docs/worker-api.md)",
					ProblemTypes.BAD_WORKER_RESPONSE, ProblemTypes.WORKER_AUTH_FAILED))
			.addApiResponse("503", problem("No worker configured or reachable; a worker's 503 problem (queue-full, "
					+ "no-session, shutting-down) is passed on with its own type; in the Redis mode also Redis "
					+ "unreachable (queue-unavailable), the shared backlog full (queue-full) or no live worker; "
					+ "internal-error when the API's direct memory had no room to read the worker's image; "
					+ "see Retry-After", ProblemTypes.WORKER_NOT_CONFIGURED, ProblemTypes.WORKER_UNAVAILABLE,
					ProblemTypes.QUEUE_UNAVAILABLE, ProblemTypes.QUEUE_FULL, ProblemTypes.INTERNAL_ERROR))
			.addApiResponse("504", problem("The worker did not answer within WORKER_TIMEOUT; a worker's "
					+ "deadline-exceeded is passed on; in the Redis mode, deadline-exceeded when no worker finished "
					+ "within WORKER_TIMEOUT", ProblemTypes.WORKER_TIMEOUT, ProblemTypes.DEADLINE_EXCEEDED));
		operation.setResponses(responses);
	}

	static Schema<?> generateBody(int maxPrompt) {
		return new ObjectSchema().addRequiredItem("prompt")
			.addProperty("prompt", new StringSchema().minLength(1).maxLength(maxPrompt))
			.addProperty("negative_prompt", new StringSchema().maxLength(maxPrompt)._default(""))
			.addProperty("seed", new IntegerSchema().minimum(BigDecimal.valueOf(-1))
				.maximum(BigDecimal.valueOf(Integer.MAX_VALUE))._default(-1))
			.addProperty("guidance_scale", new NumberSchema().minimum(BigDecimal.ONE).maximum(BigDecimal.valueOf(30))
				._default(BigDecimal.valueOf(7)))
			.addProperty("shape", enumSchema("square", "portrait", "landscape", "square"))
			.addProperty("format", enumSchema("png", "png", "jpeg"))
			.additionalProperties(false);
	}

	static Schema<?> problemSchema() {
		return new ObjectSchema().description("RFC 9457 problem (docs/api.md, \"Errors\")")
			.addProperty("type", new StringSchema().format("uri"))
			.addProperty("title", new StringSchema())
			.addProperty("status", new IntegerSchema())
			.addProperty("detail", new StringSchema())
			.addProperty("instance", new StringSchema())
			.addProperty("requestId", new StringSchema())
			.addProperty("traceId", new StringSchema().description("W3C trace id, also in both services' logs"))
			.addProperty("errors", new ArraySchema().items(new ObjectSchema()
				.addProperty("parameter", new StringSchema())
				.addProperty("message", new StringSchema())));
	}

	static ApiResponse problem(String description, String... types) {
		ApiResponse response = new ApiResponse().description(description + " (" + String.join(", ", types) + ")")
			.content(problemContent());
		response.addExtension(PROBLEM_TYPES, List.of(types));
		return response;
	}

	private static Content problemContent() {
		return new Content().addMediaType(PROBLEM_JSON,
				new MediaType().schema(new Schema<>().$ref("#/components/schemas/Problem")));
	}

	/**
	 * The worker's {@code upstream-rejected} (Perchance answered {@code invalid_data}), passed on with its own type:
	 * the worker's problem, listed in docs/worker-api.md, not one of the API's {@code x-problem-types}.
	 */
	static ApiResponse upstreamRejected() {
		return new ApiResponse()
			.description("Perchance rejected the request as invalid (the worker's upstream-rejected, passed on "
					+ "with its own type; never retried: change the prompt or parameters)")
			.content(problemContent());
	}

	static Content json(Schema<?> schema) {
		return new Content().addMediaType("application/json", new MediaType().schema(schema));
	}

	private static Parameter query(String name, boolean required, String description, Schema<?> schema) {
		return new Parameter().in("query").name(name).required(required).description(description).schema(schema);
	}

	static Parameter header(String name, String description) {
		return new Parameter().in("header").name(name).required(false).description(description)
			.schema(new StringSchema());
	}

	static Header responseHeader(String description) {
		return new Header().description(description).schema(new StringSchema());
	}

	/**
	 * Response headers in the order given.
	 * @param namesAndDescriptions name, description, name, description, …
	 * @return the headers
	 */
	static Map<String, Header> headerMap(String... namesAndDescriptions) {
		Map<String, Header> headers = new LinkedHashMap<>();
		for (int i = 0; i < namesAndDescriptions.length; i += 2) {
			headers.put(namesAndDescriptions[i], responseHeader(namesAndDescriptions[i + 1]));
		}
		return headers;
	}

	static Schema<?> enumSchema(String defaultValue, String... values) {
		StringSchema schema = new StringSchema();
		for (String value : values) {
			if (schema.getEnum() == null || !schema.getEnum().contains(value)) {
				schema.addEnumItem(value);
			}
		}
		return schema._default(defaultValue);
	}

}

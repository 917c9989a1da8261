package dev.imagegen.api.openapi;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.Paths;
import io.swagger.v3.oas.models.media.ArraySchema;
import io.swagger.v3.oas.models.media.BinarySchema;
import io.swagger.v3.oas.models.media.BooleanSchema;
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

import dev.imagegen.api.problem.ProblemTypes;

import static dev.imagegen.api.openapi.OpenApiConfiguration.enumSchema;
import static dev.imagegen.api.openapi.OpenApiConfiguration.generateBody;
import static dev.imagegen.api.openapi.OpenApiConfiguration.header;
import static dev.imagegen.api.openapi.OpenApiConfiguration.headerMap;
import static dev.imagegen.api.openapi.OpenApiConfiguration.json;
import static dev.imagegen.api.openapi.OpenApiConfiguration.problem;
import static dev.imagegen.api.openapi.OpenApiConfiguration.responseHeader;

/**
 * The parts of the OpenAPI document for the jobs routes (docs/api.md, "Jobs"), {@code Prefer: respond-async} on
 * {@code /generate}, and the OpenAI-compatible Images API (docs/api.md, "OpenAI-compatible Images API"). Kept
 * apart from {@link OpenApiConfiguration} only for length: the same customizer calls it. The OpenAI routes answer
 * their errors in OpenAI's envelope (the {@code OpenAiError} schema), so their responses list the envelope's
 * {@code code} values in {@code x-openai-error-codes} rather than problem types.
 */
final class JobsAndOpenAiDocs {

	private static final String JOB_REF = "#/components/schemas/Job";

	private static final String OPENAI_ERROR_REF = "#/components/schemas/OpenAiError";

	private static final String IMAGE_NOTE = "With the headers of /generate";

	private static final String STREAM_ERROR_REF = "#/components/schemas/JobStreamError";

	/** The stream's one error frame (JobsController#events); docs/api.md, "Jobs in the Redis mode". */
	private static final String STREAM_ERROR = "An open stream whose shared store (Redis) fails after the first event "
			+ "ends with one frame 'event: error', 'retry: 5000' (the problem's Retry-After in ms) and data the "
			+ "problem as JSON (type ending in queue-unavailable, title, status 503, detail, instance); reconnect "
			+ "after that delay.";

	private JobsAndOpenAiDocs() {
	}

	/**
	 * Adds {@code Prefer: respond-async} and its {@code 202} (the job) to a {@code /generate} operation, and
	 * {@code too-many-jobs} to its {@code 503}.
	 * @param operation {@code GET} or {@code POST /generate}, already described
	 */
	static void respondAsync(Operation operation) {
		operation.addParametersItem(header("Prefer", "respond-async (RFC 7240): answer 202 with a job at once "
				+ "instead of the image (docs/api.md, \"Jobs\")"));
		ApiResponse accepted = jobResponse("Prefer: respond-async: the job was made (the job, as POST /jobs)");
		accepted.getHeaders().put("Preference-Applied", responseHeader("respond-async"));
		accepted.getHeaders().put("Vary", responseHeader("Prefer"));
		operation.getResponses()
			.addApiResponse("202", accepted)
			.addApiResponse("503", problem("No worker configured or reachable; a worker's 503 problem (queue-full, "
					+ "no-session, shutting-down) is passed on with its own type; with Prefer: respond-async, "
					+ "MAX_JOBS jobs are held; in the Redis mode also queue-unavailable and queue-full; see Retry-After",
					ProblemTypes.WORKER_NOT_CONFIGURED, ProblemTypes.WORKER_UNAVAILABLE, ProblemTypes.TOO_MANY_JOBS,
					ProblemTypes.QUEUE_UNAVAILABLE, ProblemTypes.QUEUE_FULL));
	}

	/**
	 * Describes {@code POST /jobs} and the routes of one job, those that springdoc found.
	 * @param paths the document's paths
	 * @param maxPrompt {@code MAX_PROMPT_LENGTH}
	 */
	static void describeJobs(Paths paths, int maxPrompt) {
		PathItem jobs = paths.get("/jobs");
		if (jobs != null && jobs.getPost() != null) {
			Operation post = secured(jobs.getPost()
				.summary("Submit a job: a generation that answers at once and can be followed")
				.description("The body and rules of POST /generate; validation and client limits are decided at "
						+ "once, with no job made when they fail. Follow it at Location (docs/api.md, \"Jobs\")."));
			post.setParameters(new ArrayList<>(List.of(requestId(),
					header("Cache-Control", "no-cache skips the image cache"))));
			post.requestBody(new RequestBody().required(true)
				.content(new Content().addMediaType("application/json",
						new MediaType().schema(generateBody(maxPrompt)))));
			ApiResponse accepted = jobResponse("The job was made; a fixed-seed job whose image is cached is "
					+ "succeeded already");
			post.responses(new ApiResponses().addApiResponse("202", accepted)
				.addApiResponse("400", problem("A field is missing, unknown, of the wrong type or out of range, a "
						+ "query parameter was sent, or the body is not one JSON object", ProblemTypes.VALIDATION_ERROR,
						ProblemTypes.MALFORMED_JSON))
				.addApiResponse("401", problem("The API key is unknown, or one is required (REQUIRE_API_KEY)",
						ProblemTypes.UNAUTHORIZED))
				.addApiResponse("413", problem("The body is larger than imagegen.max-body-size (64 KB)",
						ProblemTypes.PAYLOAD_TOO_LARGE))
				.addApiResponse("415", problem("The body is not application/json", ProblemTypes.UNSUPPORTED_MEDIA_TYPE))
				.addApiResponse("429", problem("Client limits: generations or requests per minute, or concurrency; "
						+ "see Retry-After", ProblemTypes.RATE_LIMITED, ProblemTypes.TOO_MANY_CONCURRENT))
				.addApiResponse("500", problem("An unexpected failure in the API", ProblemTypes.INTERNAL_ERROR))
				.addApiResponse("503", problem("MAX_JOBS jobs are held (Retry-After: 30), no worker is configured "
						+ "(Retry-After: 60), or in the Redis mode Redis did not answer for the client limits or the "
						+ "job's store (Retry-After: 5); no job was made. A full shared queue or a missed deadline "
						+ "fails the job, not this request", ProblemTypes.TOO_MANY_JOBS,
						ProblemTypes.WORKER_NOT_CONFIGURED, ProblemTypes.QUEUE_UNAVAILABLE)));
		}
		PathItem job = paths.get("/jobs/{id}");
		if (job != null && job.getGet() != null) {
			Operation get = jobOperation(job.getGet(), "The job: status, phase, queue positions, times, result");
			get.getResponses().addApiResponse("200", jobResponse("The job"));
		}
		if (job != null && job.getDelete() != null) {
			Operation delete = jobOperation(job.getDelete(), "Cancel the job (an ended job is left as it is)");
			delete.description("A queued job never reaches a worker; a running one's worker call is abandoned.");
			delete.getResponses().addApiResponse("202", jobResponse("The job, now cancelled unless it had ended"));
		}
		PathItem events = paths.get("/jobs/{id}/events");
		if (events != null && events.getGet() != null) {
			Operation get = jobOperation(events.getGet(), "The job's states as server-sent events");
			get.description("The current state at once, then one event named job (data: the job's JSON) per "
					+ "change; ends after the terminal state. A comment line keeps an idle stream open. "
					+ "Disconnecting never cancels the job. A failure before the first event is this route's "
					+ "problem answer (404, or 503 queue-unavailable in the Redis mode). " + STREAM_ERROR);
			Map<String, Object> frames = new LinkedHashMap<>();
			frames.put("job", Map.of("$ref", JOB_REF));
			frames.put("error", Map.of("$ref", STREAM_ERROR_REF));
			MediaType stream = new MediaType().schema(new StringSchema().description("Server-sent events: "
					+ "'event: job' frames whose data is a Job, then, only if the shared store fails, one "
					+ "'event: error' frame whose data is a JobStreamError; x-sse-events names each frame's data"));
			stream.addExtension("x-sse-events", frames);
			get.getResponses()
				.addApiResponse("200", new ApiResponse().description("event: job, data: the job (schema Job); "
						+ "event: error, data: the problem (schema JobStreamError)")
					.content(new Content().addMediaType("text/event-stream", stream)));
		}
		PathItem image = paths.get("/jobs/{id}/image");
		if (image != null && image.getGet() != null) {
			Operation get = jobOperation(image.getGet(), "The job's image, once it has succeeded");
			get.getResponses()
				.addApiResponse("200", imageResponse(IMAGE_NOTE + " (X-Seed, ETag with a fixed seed, X-Cache, "
						+ "Content-Disposition, Cache-Control)"))
				.addApiResponse("409", problem("The job is queued or running (Retry-After: 2), or was cancelled",
						ProblemTypes.JOB_NOT_FINISHED, ProblemTypes.JOB_CANCELLED)
					.headers(headerMap(OpenApiConfiguration.RETRY_AFTER, "2, while the job is queued or running")))
				.addApiResponse("422", OpenApiConfiguration.upstreamRejected())
				.addApiResponse("502", problem("The job failed: its own problem, as /generate would have answered",
						ProblemTypes.BAD_WORKER_RESPONSE, ProblemTypes.WORKER_AUTH_FAILED))
				.addApiResponse("503", problem("The job failed with its own problem: no worker reachable (in the "
						+ "Redis mode: none live, or its replica stopped before the job reached the shared queue), the "
						+ "shared queue full, Redis unreachable, no memory left to keep its image, or a worker's 503 "
						+ "(queue-full, upstream-rate-limited, …) passed on with its own type; or, in the Redis mode, "
						+ "Redis did not answer for this request (queue-unavailable); see Retry-After",
						ProblemTypes.WORKER_UNAVAILABLE, ProblemTypes.QUEUE_FULL, ProblemTypes.QUEUE_UNAVAILABLE,
						ProblemTypes.INTERNAL_ERROR))
				.addApiResponse("504", problem("The job failed: the worker did not answer within WORKER_TIMEOUT, or "
						+ "in the Redis mode no worker finished it before its deadline (a worker's own "
						+ "deadline-exceeded is passed on)", ProblemTypes.WORKER_TIMEOUT,
						ProblemTypes.DEADLINE_EXCEEDED));
		}
	}

	/**
	 * Describes the OpenAI-compatible routes that springdoc found.
	 * @param paths the document's paths
	 * @param maxPrompt {@code MAX_PROMPT_LENGTH}
	 */
	static void describeOpenAi(Paths paths, int maxPrompt) {
		PathItem generations = paths.get("/v1/images/generations");
		if (generations != null && generations.getPost() != null) {
			Operation post = secured(generations.getPost()
				.summary("OpenAI Images API: generate 1..4 images")
				.description("OpenAI's request and answer; the generations of /generate (cache, limits, workers). "
						+ "Authorization: Bearer <API key> (docs/api.md, \"OpenAI-compatible Images API\")."));
			post.setParameters(new ArrayList<>(List.of(requestId())));
			post.requestBody(new RequestBody().required(true)
				.content(new Content().addMediaType("application/json",
						new MediaType().schema(openAiBody(maxPrompt)))));
			ApiResponses responses = new ApiResponses()
				.addApiResponse("200", new ApiResponse().description("The images, in the order of their seeds")
					.headers(headerMap("Cache-Control", "no-store", "X-Request-Id", "The request id"))
					.content(json(imagesResponseSchema())))
				.addApiResponse("400", openAiError("A field is unknown, repeated, of the wrong type or out of range "
						+ "(param names the first), or the body is not one JSON object", ProblemTypes.VALIDATION_ERROR,
						ProblemTypes.MALFORMED_JSON))
				.addApiResponse("413", openAiError("The body is larger than imagegen.max-body-size (64 KB)",
						ProblemTypes.PAYLOAD_TOO_LARGE))
				.addApiResponse("415", openAiError("The body is not application/json",
						ProblemTypes.UNSUPPORTED_MEDIA_TYPE));
			openAiCommonErrors(responses, true);
			responses.addApiResponse("500", openAiError("An unexpected failure in the API", ProblemTypes.INTERNAL_ERROR))
				.addApiResponse("502", openAiError("The worker answered something unusable or refused the API's "
						+ "token; a worker's 502 code is passed on", ProblemTypes.BAD_WORKER_RESPONSE,
						ProblemTypes.WORKER_AUTH_FAILED))
				.addApiResponse("503", openAiError("No worker configured or reachable, or a worker's 503 (queue_full, "
						+ "no_session, shutting_down); no memory left to keep an image for its URL; in the Redis mode "
						+ "also Redis unreachable (for the client limits, the queue or the URL's image), the shared "
						+ "queue full or no live worker; see Retry-After", ProblemTypes.WORKER_NOT_CONFIGURED,
						ProblemTypes.WORKER_UNAVAILABLE, ProblemTypes.QUEUE_UNAVAILABLE, ProblemTypes.QUEUE_FULL,
						ProblemTypes.INTERNAL_ERROR))
				.addApiResponse("504", openAiError("The worker did not answer within WORKER_TIMEOUT; in the Redis "
						+ "mode no worker finished within it (a worker's deadline_exceeded is passed on)",
						ProblemTypes.WORKER_TIMEOUT, ProblemTypes.DEADLINE_EXCEEDED));
			post.setResponses(responses);
		}
		PathItem image = paths.get("/v1/images/{name}");
		if (image != null && image.getGet() != null) {
			Operation get = image.getGet()
				.summary("An image answered by URL (kept one hour)")
				.description("The unguessable name is the credential: no API key needed, even with "
						+ "REQUIRE_API_KEY=true.");
			get.setSecurity(new ArrayList<>(List.of(new SecurityRequirement())));
			get.setParameters(new ArrayList<>(List.of(pathParameter("name",
					"22 URL-safe characters, from a url of POST /v1/images/generations"), requestId())));
			ApiResponses responses = new ApiResponses()
				.addApiResponse("200", imageResponse(IMAGE_NOTE + "; Cache-Control: private, max-age=3600, immutable"))
				.addApiResponse("404", openAiError("No image is kept under this name (never given out, or its hour "
						+ "is over)", ProblemTypes.NOT_FOUND));
			openAiCommonErrors(responses, false);
			get.setResponses(responses);
		}
		PathItem models = paths.get("/v1/models");
		if (models != null && models.getGet() != null) {
			Operation get = secured(models.getGet().summary("OpenAI models list: the one model, perchance"));
			get.setParameters(new ArrayList<>(List.of(requestId())));
			ApiResponses responses = new ApiResponses().addApiResponse("200", new ApiResponse().description("The list")
				.content(json(new ObjectSchema().addProperty("object", new StringSchema()._const("list"))
					.addProperty("data", new ArraySchema().items(modelSchema())))));
			openAiCommonErrors(responses, true);
			get.setResponses(responses);
		}
		PathItem model = paths.get("/v1/models/{id}");
		if (model != null && model.getGet() != null) {
			Operation get = secured(model.getGet().summary("OpenAI model: perchance"));
			get.setParameters(new ArrayList<>(List.of(pathParameter("id", "The model id; only perchance exists"),
					requestId())));
			ApiResponses responses = new ApiResponses()
				.addApiResponse("200", new ApiResponse().description("The model").content(json(modelSchema())))
				.addApiResponse("404", openAiError("Any id but perchance", ProblemTypes.NOT_FOUND));
			openAiCommonErrors(responses, true);
			get.setResponses(responses);
		}
	}

	/** The job's JSON (docs/api.md, "Jobs"). */
	static Schema<?> jobSchema() {
		Schema<?> parameters = new ObjectSchema().description("The validated request; seed -1 when random")
			.addProperty("prompt", new StringSchema())
			.addProperty("negative_prompt", new StringSchema())
			.addProperty("seed", new IntegerSchema().format("int64"))
			.addProperty("guidance_scale", new NumberSchema())
			.addProperty("shape", enumSchema("square", "square", "portrait", "landscape"))
			.addProperty("format", enumSchema("png", "png", "jpeg"));
		return new ObjectSchema().description("A job (docs/api.md, \"Jobs\")")
			.addProperty("id", new StringSchema().description("144 random bits, URL-safe base64"))
			.addProperty("status", enumSchema("queued", "queued", "running", "succeeded", "failed", "cancelled")
				.description("succeeded, failed and cancelled are terminal"))
			.addProperty("phase", enumSchema("queued", "queued", "starting", "generating", "downloading", "done"))
			.addProperty("queuePosition", nullable(new IntegerSchema()
				.description("Jobs ahead while queued (0 = next); null when not known and once running")))
			.addProperty("upstreamQueuePosition",
					nullable(new IntegerSchema().description("Perchance's own queue position while generating")))
			.addProperty("createdAt", new StringSchema().format("date-time"))
			.addProperty("startedAt", nullable(new StringSchema().format("date-time")))
			.addProperty("finishedAt", nullable(new StringSchema().format("date-time")))
			.addProperty("seed", nullable(new IntegerSchema().format("int64")
				.description("The seed used; null until the end for a random seed")))
			.addProperty("parameters", parameters)
			.addProperty("image", new StringSchema().description("/jobs/{id}/image, only once succeeded"))
			.addProperty("error", new Schema<>().$ref("#/components/schemas/Problem")
				.description("The problem, only once failed"));
	}

	/** The data of the event stream's {@code error} frame: the problem, without request or trace id. */
	static Schema<?> streamErrorSchema() {
		return new ObjectSchema().description(STREAM_ERROR)
			.addProperty("type", new StringSchema().format("uri"))
			.addProperty("title", new StringSchema())
			.addProperty("status", new IntegerSchema())
			.addProperty("detail", new StringSchema())
			.addProperty("instance", new StringSchema().description("/jobs/{id}/events"));
	}

	/** OpenAI's error envelope, the body of every error under {@code /v1/}. */
	static Schema<?> openAiErrorSchema() {
		return new ObjectSchema().description("OpenAI's error envelope (docs/api.md, \"OpenAI-compatible Images API\")")
			.addRequiredItem("error")
			.addProperty("error", new ObjectSchema()
				.addProperty("message", new StringSchema().description("The problem's detail"))
				.addProperty("type", enumSchema("invalid_request_error", "invalid_request_error",
						"authentication_error", "rate_limit_error", "server_error"))
				.addProperty("param", nullable(new StringSchema()
					.description("The first field named by a 400 validation error, else null")))
				.addProperty("code", new StringSchema()
					.description("The problem type of /generate in snake case (validation_error, rate_limited, …)")));
	}

	private static Operation jobOperation(Operation operation, String summary) {
		secured(operation).summary(summary);
		operation.setParameters(new ArrayList<>(List.of(pathParameter("id", "The job id from Location"),
				requestId())));
		operation.setResponses(new ApiResponses()
			.addApiResponse("401", problem("The API key is unknown, or one is required (REQUIRE_API_KEY)",
					ProblemTypes.UNAUTHORIZED))
			.addApiResponse("404", problem("No such job: never made, or JOB_RETENTION after its end",
					ProblemTypes.JOB_NOT_FOUND))
			.addApiResponse("429", problem("The client's requests per minute; see Retry-After",
					ProblemTypes.RATE_LIMITED))
			.addApiResponse("500", problem("An unexpected failure in the API", ProblemTypes.INTERNAL_ERROR))
			.addApiResponse("503", problem(OpenApiConfiguration.REDIS_DOWN, ProblemTypes.QUEUE_UNAVAILABLE)));
		return operation;
	}

	private static Operation secured(Operation operation) {
		operation.setSecurity(new ArrayList<>(List.of(new SecurityRequirement().addList("apiKey"),
				new SecurityRequirement())));
		return operation;
	}

	private static ApiResponse jobResponse(String description) {
		ApiResponse response = new ApiResponse().description(description)
			.headers(headerMap("Location", "/jobs/{id}", "Cache-Control", "no-store", "X-Request-Id", "The request id"))
			.content(json(new Schema<>().$ref(JOB_REF)));
		return response;
	}

	private static ApiResponse imageResponse(String description) {
		return new ApiResponse().description(description)
			.headers(headerMap("X-Seed", "The seed used", "X-Request-Id", "The request id", "ETag",
					"The fingerprint (a fixed seed for /jobs)", "Cache-Control", "How long the image may be kept",
					"Content-Disposition", "inline, with a file name"))
			.content(new Content().addMediaType("image/png", new MediaType().schema(new BinarySchema()))
				.addMediaType("image/jpeg", new MediaType().schema(new BinarySchema())));
	}

	/**
	 * 401 (when the route takes a key), 429 and, in the Redis mode, 503 queue_unavailable, which the client filter
	 * answers before any route (a route that meets more 503s replaces the 503 afterwards).
	 */
	private static void openAiCommonErrors(ApiResponses responses, boolean keyed) {
		if (keyed) {
			responses.addApiResponse("401", openAiError("The API key is unknown, or one is required "
					+ "(REQUIRE_API_KEY); WWW-Authenticate: Bearer", ProblemTypes.UNAUTHORIZED));
		}
		responses.addApiResponse("429", openAiError("Client limits: generations or requests per minute, or "
				+ "concurrency; see Retry-After", ProblemTypes.RATE_LIMITED, ProblemTypes.TOO_MANY_CONCURRENT));
		responses.addApiResponse("503", openAiError(OpenApiConfiguration.REDIS_DOWN, ProblemTypes.QUEUE_UNAVAILABLE));
	}

	/**
	 * An error answered in OpenAI's envelope. Its {@code code}s are derived from the {@link ProblemTypes} constants
	 * the failure is first made into (OpenAiErrors), so they cannot drift from the code.
	 */
	static ApiResponse openAiError(String description, String... types) {
		List<String> codes = new ArrayList<>();
		for (String type : types) {
			codes.add(ProblemTypes.shortName(type).replace('-', '_').toLowerCase(Locale.ROOT));
		}
		ApiResponse response = new ApiResponse().description(description + " (code " + String.join(", ", codes) + ")")
			.headers(headerMap("Retry-After", "Where waiting helps (429, 503)", "X-Request-Id", "The request id"))
			.content(json(new Schema<>().$ref(OPENAI_ERROR_REF)));
		response.addExtension("x-openai-error-codes", codes);
		return response;
	}

	private static Schema<?> openAiBody(int maxPrompt) {
		return new ObjectSchema().addRequiredItem("prompt")
			.description("docs/api.md, \"Request: POST /v1/images/generations\"; other fields are a 400")
			.addProperty("prompt", new StringSchema().minLength(1).maxLength(maxPrompt))
			.addProperty("model", new StringSchema().description("Any string; the one model is perchance"))
			.addProperty("n", new IntegerSchema().minimum(BigDecimal.ONE).maximum(BigDecimal.valueOf(4))._default(1)
				.description("Image i (from 0) gets seed + i"))
			.addProperty("size", enumSchema("1024x1024", "512x768", "1024x1536", "1024x1792", "768x512", "1536x1024",
					"1792x1024", "768x768", "1024x1024", "auto")
				.description("portrait, landscape or square; any case"))
			.addProperty("response_format", enumSchema("url", "url", "b64_json"))
			.addProperty("output_format", enumSchema("png", "png", "jpeg").description("Any case"))
			.addProperty("user", new StringSchema().description("Not used"))
			.addProperty("negative_prompt", new StringSchema().maxLength(maxPrompt)._default(""))
			.addProperty("seed", new IntegerSchema().minimum(BigDecimal.valueOf(-1))
				.maximum(BigDecimal.valueOf(Integer.MAX_VALUE))._default(-1)
				.description("Extension; seed + n - 1 must be at most 2147483647"))
			.addProperty("guidance_scale", new NumberSchema().minimum(BigDecimal.ONE).maximum(BigDecimal.valueOf(30))
				._default(BigDecimal.valueOf(7)))
			.addProperty("quality", ignored())
			.addProperty("style", ignored())
			.addProperty("background", ignored())
			.addProperty("moderation", ignored())
			.addProperty("output_compression", ignored())
			.addProperty("partial_images", ignored())
			.addProperty("stream", new BooleanSchema()._const(false)._default(false)
				.description("Only false: the answer comes when every image is done"))
			.additionalProperties(false);
	}

	private static Schema<?> imagesResponseSchema() {
		return new ObjectSchema().addProperty("created", new IntegerSchema().format("int64").description("Unix seconds"))
			.addProperty("data", new ArraySchema().items(new ObjectSchema()
				.addProperty("url", new StringSchema().format("uri").description("With response_format url"))
				.addProperty("b64_json", new StringSchema().format("byte").description("With response_format b64_json"))
				.addProperty("revised_prompt", new StringSchema().description("The prompt, trimmed"))
				.addProperty("seed", new IntegerSchema().format("int64"))));
	}

	private static Schema<?> modelSchema() {
		return new ObjectSchema().addProperty("id", new StringSchema()._const("perchance"))
			.addProperty("object", new StringSchema()._const("model"))
			.addProperty("created", new IntegerSchema().format("int64"))
			.addProperty("owned_by", new StringSchema());
	}

	/** An OpenAI field without meaning here: accepted, whatever its value, and ignored. */
	private static Schema<?> ignored() {
		return new Schema<>().description("Accepted, any value, and ignored");
	}

	private static Schema<?> nullable(Schema<?> schema) {
		// OpenAPI 3.1: nullability is a second type, not the 3.0 "nullable" keyword.
		schema.addType("null");
		return schema;
	}

	private static Parameter pathParameter(String name, String description) {
		return new Parameter().in("path").name(name).required(true).description(description)
			.schema(new StringSchema());
	}

	private static Parameter requestId() {
		return header("X-Request-Id", "Kept when it matches [A-Za-z0-9._-]{1,64}; echoed");
	}

}

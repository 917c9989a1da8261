package dev.imagegen.worker.openapi;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.headers.Header;
import io.swagger.v3.oas.models.info.Info;
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

import dev.imagegen.worker.config.WorkerProperties;
import dev.imagegen.worker.problem.Problem;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The worker API's OpenAPI 3.1 document ({@code /openapi.json}, page at {@code /docs}). springdoc finds the
 * routes; the generate controller reads its body itself (so that every field error is a problem,
 * docs/worker-api.md), so this customizer adds the body, the headers and the problem types of each response
 * ({@link Problem} values, listed in {@code x-problem-types}), and the probes, which springdoc does not find.
 */
@Configuration(proxyBeanMethods = false)
class OpenApiConfiguration {

	@Bean
	OpenAPI workerOpenApi() {
		return new OpenAPI()
			.info(new Info().title("imagegen worker API")
				.version("1")
				.description("Generates one image per request through Perchance. Reference: docs/worker-api.md."))
			.components(new Components()
				.addSecuritySchemes("workerToken", new SecurityScheme().type(SecurityScheme.Type.HTTP)
					.scheme("bearer")
					.description("WORKER_TOKEN (required when set)")));
	}

	@Bean
	OpenApiCustomizer workerRoutes(WorkerProperties properties) {
		int maxPrompt = properties.jobs().maxPromptLength();
		return (openApi) -> {
			if (openApi.getComponents() == null) {
				openApi.setComponents(new Components());
			}
			openApi.getComponents().addSchemas("Problem", problemSchema());
			if (openApi.getPaths() == null) {
				return;
			}
			PathItem generate = openApi.getPaths().get("/generate");
			if (generate != null && generate.getPost() != null) {
				describeGenerate(generate.getPost(), maxPrompt);
			}
			PathItem progress = openApi.getPaths().get("/progress/{requestId}");
			if (progress != null && progress.getGet() != null) {
				describeProgress(progress.getGet());
			}
			PathItem health = openApi.getPaths().get("/health");
			if (health != null && health.getGet() != null) {
				health.getGet()
					.summary("Health of the browser sessions")
					.responses(new ApiResponses()
						.addApiResponse("200", new ApiResponse().description("UP or DEGRADED")
							.content(json(new ObjectSchema())))
						.addApiResponse("503", new ApiResponse().description("DOWN: no session can serve")
							.content(json(new ObjectSchema()))));
			}
			describeProbes(openApi);
		};
	}

	/**
	 * {@code /livez} and {@code /readyz}: actuator's liveness and readiness health groups served as additional
	 * paths on the main port (application.yml; docs/worker-api.md, "Actuator and metrics"), which springdoc does not
	 * see. Their bodies are actuator's: a status and the group's members, never details.
	 */
	private static void describeProbes(OpenAPI openApi) {
		openApi.getPaths().addPathItem("/livez", new PathItem().get(probe("Liveness probe",
				"Actuator's liveness group (livenessState only): the process, never Perchance or the browser.",
				"livenessState", "DOWN")));
		openApi.getPaths().addPathItem("/readyz", new PathItem().get(probe("Readiness probe",
				"Actuator's readiness group: UP once at least one browser session is ready (browserSessions), "
						+ "OUT_OF_SERVICE before that, after every session failed, and while the worker refuses "
						+ "traffic (shutting down); Redis down never fails it.",
				"readinessState, browserSessions", "OUT_OF_SERVICE")));
	}

	/**
	 * @param members the group's members
	 * @param notOk the status the group has when it is not UP (503)
	 */
	private static Operation probe(String summary, String description, String members, String notOk) {
		Schema<?> body = new ObjectSchema().description("Actuator's health of the group")
			.addRequiredItem("status")
			.addProperty("status", new StringSchema()._enum(List.of("UP", notOk)))
			.addProperty("components", new ObjectSchema().description("Each member's status: " + members)
				.additionalProperties(new ObjectSchema().addProperty("status", new StringSchema())));
		// Actuator's own media type unless the request asks for application/json.
		Content content = new Content()
			.addMediaType("application/vnd.spring-boot.actuator.v3+json", new MediaType().schema(body))
			.addMediaType("application/json", new MediaType().schema(body));
		return new Operation().summary(summary)
			.description(description + " Needs no token.")
			.tags(List.of("probes"))
			.responses(new ApiResponses().addApiResponse("200", new ApiResponse().description("UP").content(content))
				.addApiResponse("503", new ApiResponse().description(notOk).content(content)));
	}

	/** The problem body; springdoc drops schemas set on the OpenAPI bean, so the customizer adds it. */
	private static Schema<?> problemSchema() {
		return new ObjectSchema().description("RFC 9457 problem (docs/worker-api.md)")
			.addProperty("type", new StringSchema().format("uri"))
			.addProperty("title", new StringSchema())
			.addProperty("status", new IntegerSchema())
			.addProperty("detail", new StringSchema())
			.addProperty("instance", new StringSchema())
			.addProperty("requestId", new StringSchema())
			.addProperty("traceId", new StringSchema())
			.addProperty("retryAfterSeconds", new IntegerSchema())
			.addProperty("errors", new ArraySchema().items(new ObjectSchema()
				.addProperty("parameter", new StringSchema())
				.addProperty("message", new StringSchema())));
	}

	private static void describeGenerate(Operation operation, int maxPrompt) {
		operation.summary("Generate one image")
			.description("Queued for a free browser session; answered within X-Deadline-Ms / GENERATION_TIMEOUT.")
			.addSecurityItem(new SecurityRequirement().addList("workerToken"));
		operation.setParameters(new ArrayList<>(List.of(
				header("X-Request-Id", "Echoed and logged ([A-Za-z0-9._:-]{1,128}, otherwise a UUID)"),
				header("X-Deadline-Ms", "The caller's remaining budget in whole milliseconds (1..2147483647)"),
				header("traceparent", "W3C Trace Context; the job's spans join the trace"))));
		operation.requestBody(new RequestBody().required(true)
			.content(new Content().addMediaType("application/json", new MediaType().schema(new ObjectSchema()
				.addRequiredItem("prompt")
				.addProperty("prompt", new StringSchema().minLength(1).maxLength(maxPrompt))
				.addProperty("negative_prompt", new StringSchema().maxLength(maxPrompt)._default(""))
				.addProperty("seed", new IntegerSchema().minimum(BigDecimal.valueOf(-1))
					.maximum(BigDecimal.valueOf(Integer.MAX_VALUE))._default(-1))
				.addProperty("guidance_scale", new NumberSchema().minimum(BigDecimal.ONE)
					.maximum(BigDecimal.valueOf(30))._default(BigDecimal.valueOf(7)))
				.addProperty("shape", new StringSchema()._enum(List.of("portrait", "landscape", "square"))._default("square"))
				.addProperty("format", new StringSchema()._enum(List.of("png", "jpeg"))._default("png"))))));
		operation.setResponses(new ApiResponses()
			.addApiResponse("200", new ApiResponse().description("The image")
				.headers(Map.of("X-Seed", header("The seed used"), "X-Image-Width", header("Width"),
						"X-Image-Height", header("Height"), "X-Upstream-Image-Id", header("SHA-256 of the upstream bytes"),
						"X-Queue-Wait-Ms", header("Time in the queue"), "X-Generation-Ms", header("Time generating")))
				.content(new Content().addMediaType("image/png", new MediaType().schema(new BinarySchema()))
					.addMediaType("image/jpeg", new MediaType().schema(new BinarySchema()))))
			.addApiResponse("400", problem("The body or X-Deadline-Ms is invalid", Problem.INVALID_REQUEST))
			.addApiResponse("401", problem("Missing or wrong WORKER_TOKEN", Problem.UNAUTHORIZED))
			.addApiResponse("422", problem("Perchance rejected the parameters", Problem.UPSTREAM_REJECTED))
			.addApiResponse("500", problem("An unexpected failure in the worker", Problem.INTERNAL_ERROR))
			.addApiResponse("502", problem("Perchance failed or changed its protocol", Problem.UPSTREAM_FAILURE,
					Problem.UPSTREAM_PROTOCOL_CHANGED))
			.addApiResponse("503", problem("Try again later (Retry-After)", Problem.QUEUE_FULL,
					Problem.UPSTREAM_RATE_LIMITED, Problem.UPSTREAM_CHALLENGE, Problem.BROWSER_UNAVAILABLE,
					Problem.SHUTTING_DOWN))
			.addApiResponse("504", problem("No image within the job's deadline", Problem.DEADLINE_EXCEEDED)));
	}

	private static void describeProgress(Operation operation) {
		operation.summary("Follow a job's progress")
			.description("Server-sent events named progress, one JSON object each (requestId, phase, queuePosition, "
					+ "upstreamQueuePosition), first the current state, then every change; the stream ends after "
					+ "done or failed. An id not known yet is waited for up to 10 s (docs/worker-api.md, Progress).")
			.addSecurityItem(new SecurityRequirement().addList("workerToken"));
		operation.setParameters(new ArrayList<>(List.of(new Parameter().in("path")
			.name("requestId")
			.required(true)
			.description("The X-Request-Id of the POST /generate to follow")
			.schema(new StringSchema()))));
		operation.setResponses(new ApiResponses()
			.addApiResponse("200", new ApiResponse().description("The event stream")
				.content(new Content().addMediaType("text/event-stream", new MediaType().schema(new StringSchema()))))
			.addApiResponse("401", problem("Missing or wrong WORKER_TOKEN", Problem.UNAUTHORIZED))
			.addApiResponse("404", problem("No job with that request id appeared within 10 s, or it ended more "
					+ "than 60 s ago", Problem.UNKNOWN_REQUEST)));
	}

	private static ApiResponse problem(String description, Problem... problems) {
		List<String> types = Arrays.stream(problems).map((p) -> p.type().toString()).toList();
		ApiResponse response = new ApiResponse().description(description + " (" + String.join(", ", types) + ")")
			.content(new Content().addMediaType("application/problem+json",
					new MediaType().schema(new Schema<>().$ref("#/components/schemas/Problem"))));
		response.addExtension("x-problem-types", types);
		return response;
	}

	private static Content json(Schema<?> schema) {
		return new Content().addMediaType("application/json", new MediaType().schema(schema));
	}

	private static Parameter header(String name, String description) {
		return new Parameter().in("header").name(name).required(false).description(description)
			.schema(new StringSchema());
	}

	private static Header header(String description) {
		return new Header().description(description).schema(new StringSchema());
	}

}

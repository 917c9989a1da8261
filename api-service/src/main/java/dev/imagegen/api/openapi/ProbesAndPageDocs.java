package dev.imagegen.api.openapi;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.PathItem;
import io.swagger.v3.oas.models.Paths;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.IntegerSchema;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.ObjectSchema;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.media.StringSchema;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.responses.ApiResponses;
import io.swagger.v3.oas.models.security.SecurityRequirement;

import dev.imagegen.api.problem.ProblemTypes;

import static dev.imagegen.api.openapi.OpenApiConfiguration.json;
import static dev.imagegen.api.openapi.OpenApiConfiguration.problem;

/**
 * The served routes springdoc cannot see, since they are neither controllers nor annotated: the page ({@code GET /},
 * Spring Boot's welcome-page router function over {@code static/index.html}), {@code GET /page-config.json} (a router
 * function of PageConfiguration), and the probes {@code /livez} and {@code /readyz}, which are actuator's liveness and
 * readiness health groups served as additional paths on the main port (application.yml; docs/api.md, "Health").
 * The probes' bodies are actuator's: a status and the group's members, never details.
 */
final class ProbesAndPageDocs {

	/** Actuator's own media type, answered when the request does not ask for {@code application/json}. */
	private static final String ACTUATOR_JSON = "application/vnd.spring-boot.actuator.v3+json";

	/** The paths served by router functions, which answer another method with 404, not 405. */
	static final Set<String> ROUTER_FUNCTIONS = Set.of("/", "/page-config.json");

	private ProbesAndPageDocs() {
	}

	/**
	 * Adds the page, its settings and the probes to the document's paths.
	 * @param paths the document's paths
	 */
	static void describe(Paths paths) {
		Operation page = pageOperation("The web page: a form that generates an image",
				"static/index.html with its Content-Security-Policy (docs/api.md, \"The page\"). Served to requests "
						+ "whose Accept allows text/html; any other Accept finds no route (404).",
				new ApiResponse().description("The page")
					.headers(OpenApiConfiguration.headerMap("Content-Security-Policy",
							"Only this origin's script, style and connections"))
					.content(new Content().addMediaType("text/html", new MediaType().schema(new StringSchema()))));
		page.getResponses()
			.addApiResponse("404", problem("The request's Accept does not allow text/html", ProblemTypes.NOT_FOUND));
		paths.addPathItem("/", new PathItem().get(page));
		paths.addPathItem("/page-config.json", new PathItem().get(pageOperation("The settings the page's form follows",
				"MAX_PROMPT_LENGTH, as the page's script needs it (docs/api.md, \"The page\").",
				new ApiResponse().description("The settings")
					.headers(OpenApiConfiguration.headerMap("Cache-Control", "no-cache: a restart reaches open tabs"))
					.content(json(new ObjectSchema().addRequiredItem("maxPromptLength")
						.addProperty("maxPromptLength", new IntegerSchema()
							.description("The most code points a prompt or negative prompt may have")))))));
		paths.addPathItem("/livez", new PathItem().get(probe("Liveness probe",
				"Actuator's liveness group (livenessState only): a dead worker or Redis never gets the API "
						+ "restarted. Exempt from client limits; needs no key.",
				"livenessState", "DOWN")));
		paths.addPathItem("/readyz", new PathItem().get(probe("Readiness probe",
				"Actuator's readiness group (readinessState and workers): DOWN while no worker is usable (in the "
						+ "Redis mode: no live worker, or Redis unreachable), OUT_OF_SERVICE while the API refuses "
						+ "traffic. Exempt from client limits; needs no key.",
				"readinessState, workers", "DOWN", "OUT_OF_SERVICE")));
	}

	/**
	 * A page route: behind the client filter (request rate; in the Redis mode the shared limiter), no key checked.
	 */
	private static Operation pageOperation(String summary, String description, ApiResponse ok) {
		Operation operation = new Operation().summary(summary).description(description).tags(List.of("page"));
		operation.setSecurity(new ArrayList<>(List.of(new SecurityRequirement())));
		operation.responses(new ApiResponses().addApiResponse("200", ok)
			.addApiResponse("429", problem("The client's requests per minute; see Retry-After",
					ProblemTypes.RATE_LIMITED))
			.addApiResponse("500", problem("An unexpected failure in the API", ProblemTypes.INTERNAL_ERROR))
			.addApiResponse("503", problem(OpenApiConfiguration.REDIS_DOWN, ProblemTypes.QUEUE_UNAVAILABLE)));
		return operation;
	}

	/**
	 * @param members the group's members
	 * @param notOk the statuses the group has when it is not UP (503)
	 */
	private static Operation probe(String summary, String description, String members, String... notOk) {
		Operation operation = new Operation().summary(summary).description(description).tags(List.of("probes"));
		operation.setSecurity(new ArrayList<>(List.of(new SecurityRequirement())));
		operation.responses(new ApiResponses()
			.addApiResponse("200", new ApiResponse().description("UP").content(healthContent(members, notOk)))
			.addApiResponse("503", new ApiResponse().description(String.join(" or ", notOk))
				.content(healthContent(members, notOk))));
		return operation;
	}

	private static Content healthContent(String members, String... notOk) {
		StringSchema status = new StringSchema();
		status.addEnumItem("UP");
		for (String value : notOk) {
			status.addEnumItem(value);
		}
		Schema<?> schema = new ObjectSchema().description("Actuator's health of the group")
			.addRequiredItem("status")
			.addProperty("status", status)
			.addProperty("components", new ObjectSchema().description("Each member's status: " + members)
				.additionalProperties(new ObjectSchema().addProperty("status", new StringSchema())));
		return new Content().addMediaType(ACTUATOR_JSON, new MediaType().schema(schema))
			.addMediaType("application/json", new MediaType().schema(schema));
	}

}

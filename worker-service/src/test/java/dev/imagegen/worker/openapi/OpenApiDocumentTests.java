package dev.imagegen.worker.openapi;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import dev.imagegen.testsupport.ProbeBodies;
import dev.imagegen.worker.problem.Problem;
import dev.imagegen.worker.support.NoBrowserWorker;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ApplicationContext;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.function.support.RouterFunctionMapping;
import org.springframework.web.servlet.mvc.method.RequestMappingInfo;
import org.springframework.web.servlet.mvc.method.RequestMappingInfoHandlerMapping;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Walks the worker's {@code /openapi.json} against the running worker: every documented operation answers with
 * a status it documents (never 405 or an undocumented 404), every route of the handler mappings is documented
 * (the probes {@code /livez} and {@code /readyz} included, and their bodies as documented), every documented
 * problem type is a {@link Problem} and every {@link Problem} a route can answer is documented, and {@code /docs}
 * serves Swagger UI from the bundled webjar (no token needed: only {@code /generate} is guarded).
 */
class OpenApiDocumentTests extends NoBrowserWorker {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private static final Set<String> OPERATIONS = Set.of("get", "put", "post", "delete", "options", "head", "patch",
			"trace");

	private final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

	@Autowired
	ApplicationContext context;

	private HttpResponse<String> send(String method, String path, String body) throws Exception {
		HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + path));
		if (body != null) {
			request.header("Content-Type", "application/json");
		}
		request.method(method, (body != null) ? HttpRequest.BodyPublishers.ofString(body)
				: HttpRequest.BodyPublishers.noBody());
		return this.http.send(request.build(), HttpResponse.BodyHandlers.ofString());
	}

	private JsonNode document() throws Exception {
		HttpResponse<String> response = send("GET", "/openapi.json", null);
		assertThat(response.statusCode()).isEqualTo(200);
		return JSON.readTree(response.body());
	}

	@Test
	void everyReferencedSchemaIsInTheDocument() throws Exception {
		JsonNode document = document();
		Matcher matcher = Pattern.compile("\"\\$ref\":\"#/components/schemas/([^\"]+)\"").matcher(document.toString());
		Set<String> referenced = new TreeSet<>();
		while (matcher.find()) {
			referenced.add(matcher.group(1));
		}
		assertThat(referenced).contains("Problem");
		for (String name : referenced) {
			assertThat(document.path("components").path("schemas").has(name)).as(name + " is defined").isTrue();
		}
	}

	@Test
	void everyDocumentedOperationAnswersAsDocumented() throws Exception {
		JsonNode document = document();
		assertThat(document.path("openapi").asString()).startsWith("3.1");
		int walked = 0;
		for (Map.Entry<String, JsonNode> path : document.path("paths").properties()) {
			for (Map.Entry<String, JsonNode> operation : path.getValue().properties()) {
				if (!OPERATIONS.contains(operation.getKey())) {
					continue;
				}
				Set<String> documented = new HashSet<>();
				operation.getValue().path("responses").propertyNames().forEach(documented::add);
				boolean hasBody = !operation.getValue().path("requestBody").isMissingNode();
				int status = send(operation.getKey().toUpperCase(Locale.ROOT),
						path.getKey().replaceAll("\\{[^}]+}", "openapi-probe"), hasBody ? "{}" : null).statusCode();
				String what = operation.getKey() + " " + path.getKey() + " answered " + status + ", documented "
						+ documented;
				assertThat(status).as(what).isNotEqualTo(405);
				assertThat(documented.contains(Integer.toString(status)) || documented.contains("default")).as(what)
					.isTrue();
				walked++;
			}
		}
		assertThat(walked).isGreaterThanOrEqualTo(2);
	}

	/**
	 * The routes of every {@link RequestMappingInfoHandlerMapping}: controllers and actuator's endpoints, the probes
	 * among them. Not the worker API: springdoc's own routes, the servlet container's error page and
	 * {@code /actuator/**}, Spring Boot's management endpoints, which MANAGEMENT_PORT moves off the main port
	 * (docs/worker-api.md, "Actuator and metrics"). The worker has no router functions: this test reads none, so it
	 * fails when one is added.
	 */
	@Test
	void everyServedRouteIsDocumented() throws Exception {
		JsonNode paths = document().path("paths");
		for (RouterFunctionMapping mapping : this.context.getBeansOfType(RouterFunctionMapping.class).values()) {
			assertThat(mapping.getRouterFunction()).as("a router function: read its routes here too").isNull();
		}
		Set<String> served = new TreeSet<>();
		for (RequestMappingInfoHandlerMapping mapping : this.context
			.getBeansOfType(RequestMappingInfoHandlerMapping.class)
			.values()) {
			for (Map.Entry<RequestMappingInfo, HandlerMethod> entry : mapping.getHandlerMethods().entrySet()) {
				if (entry.getValue().getBeanType().getName().startsWith("org.springdoc.")) {
					continue;
				}
				Set<RequestMethod> methods = entry.getKey().getMethodsCondition().getMethods();
				for (String pattern : entry.getKey().getPatternValues()) {
					if (pattern.equals("/error") || pattern.equals("/actuator") || pattern.startsWith("/actuator/")) {
						continue;
					}
					for (RequestMethod method : methods.isEmpty() ? Set.of(RequestMethod.GET) : methods) {
						served.add(method.name().toLowerCase(Locale.ROOT) + " " + pattern);
					}
				}
			}
		}
		assertThat(served).contains("post /generate", "get /health", "get /livez", "get /readyz");
		for (String route : served) {
			String[] parts = route.split(" ", 2);
			assertThat(paths.path(parts[1]).has(parts[0])).as(route + " is in /openapi.json").isTrue();
		}
	}

	@Test
	void theProbesAnswerTheBodiesTheyDocument() throws Exception {
		JsonNode paths = document().path("paths");
		// No browser here: alive, and never ready.
		for (String accept : new String[] { null, "application/json" }) {
			expectProbe(paths, "/livez", accept, 200, "UP", "livenessState");
			expectProbe(paths, "/readyz", accept, 503, "OUT_OF_SERVICE", "browserSessions");
		}
	}

	private void expectProbe(JsonNode paths, String path, String accept, int status, String health, String member)
			throws Exception {
		HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + path));
		if (accept != null) {
			request.header("Accept", accept);
		}
		HttpResponse<String> response = this.http.send(request.build(), HttpResponse.BodyHandlers.ofString());
		String what = path + " (Accept " + accept + ")";
		assertThat(response.statusCode()).as(what).isEqualTo(status);
		String answered = response.headers().firstValue("Content-Type").orElse("").replaceAll(";.*", "").trim();
		ProbeBodies.assertDocumented(paths, path, status, answered, JSON.readTree(response.body()), health, member, what);
	}

	/**
	 * The reverse of {@link #everyDocumentedProblemTypeExistsInCode()}: every {@link Problem} an HTTP route can answer
	 * is listed by a response. {@code worker-unavailable} is no HTTP answer: the Redis mode writes it only into a
	 * work-stream entry's result, for the API to pass on (docs/worker-api.md, "Redis mode").
	 */
	@Test
	void everyProblemOfTheCodeIsDocumentedForARoute() throws Exception {
		Set<String> routed = new TreeSet<>();
		for (Map.Entry<String, JsonNode> path : document().path("paths").properties()) {
			for (Map.Entry<String, JsonNode> operation : path.getValue().properties()) {
				if (OPERATIONS.contains(operation.getKey())) {
					operation.getValue().path("responses").forEach((response) -> response.path("x-problem-types")
						.forEach((type) -> routed.add(type.asString())));
				}
			}
		}
		for (Problem problem : Problem.values()) {
			if (problem != Problem.WORKER_UNAVAILABLE) {
				assertThat(routed).as(problem.name()).contains(problem.type().toString());
			}
		}
	}

	@Test
	void everyDocumentedProblemTypeExistsInCode() throws Exception {
		Set<String> known = new HashSet<>();
		for (Problem problem : Problem.values()) {
			known.add(problem.type().toString());
		}
		Matcher matcher = Pattern.compile("https://imagegen\\.dev/problems/[a-z0-9-]+").matcher(document().toString());
		Set<String> documented = new TreeSet<>();
		while (matcher.find()) {
			documented.add(matcher.group());
		}
		assertThat(documented).hasSizeGreaterThanOrEqualTo(8);
		assertThat(known).containsAll(documented);
	}

	@Test
	void theInteractivePageIsServedFromTheBundledWebjar() throws Exception {
		HttpResponse<String> redirect = send("GET", "/docs", null);
		assertThat(redirect.statusCode()).as(redirect.body()).isBetween(300, 399);
		String page = URI.create("http://127.0.0.1:" + this.port + "/")
			.resolve(redirect.headers().firstValue("Location").orElseThrow())
			.getPath();
		HttpResponse<String> html = send("GET", page, null);
		assertThat(html.statusCode()).isEqualTo(200);
		assertThat(html.body()).contains("swagger-ui");
		String base = page.substring(0, page.lastIndexOf('/') + 1);
		assertThat(send("GET", base + "swagger-ui-bundle.js", null).statusCode()).isEqualTo(200);
		HttpResponse<String> initializer = send("GET", base + "swagger-initializer.js", null);
		assertThat(initializer.statusCode()).isEqualTo(200);
		assertThat(initializer.body()).contains("/openapi.json");
	}

}

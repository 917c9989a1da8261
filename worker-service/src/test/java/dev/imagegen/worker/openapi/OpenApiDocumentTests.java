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

import dev.imagegen.worker.problem.Problem;
import dev.imagegen.worker.support.NoBrowserWorker;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ApplicationContext;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.mvc.method.RequestMappingInfo;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Walks the worker's {@code /openapi.json} against the running worker: every documented operation answers with
 * a status it documents (never 405 or an undocumented 404), every route of the handler mappings is documented,
 * every documented problem type is a {@link Problem}, and {@code /docs} serves Swagger UI from the bundled
 * webjar (no token needed: only {@code /generate} is guarded).
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

	@Test
	void everyServedRouteIsDocumented() throws Exception {
		JsonNode paths = document().path("paths");
		Set<String> served = new TreeSet<>();
		for (RequestMappingHandlerMapping mapping : this.context.getBeansOfType(RequestMappingHandlerMapping.class)
			.values()) {
			for (Map.Entry<RequestMappingInfo, HandlerMethod> entry : mapping.getHandlerMethods().entrySet()) {
				String owner = entry.getValue().getBeanType().getName();
				if (owner.startsWith("org.springdoc.") || owner.startsWith("org.springframework.")) {
					continue;
				}
				Set<RequestMethod> methods = entry.getKey().getMethodsCondition().getMethods();
				for (String pattern : entry.getKey().getPatternValues()) {
					if (pattern.equals("/error")) {
						// The servlet container's error page, not a route of the worker API.
						continue;
					}
					for (RequestMethod method : methods.isEmpty() ? Set.of(RequestMethod.GET) : methods) {
						served.add(method.name().toLowerCase(Locale.ROOT) + " " + pattern);
					}
				}
			}
		}
		assertThat(served).contains("post /generate", "get /health");
		for (String route : served) {
			String[] parts = route.split(" ", 2);
			assertThat(paths.path(parts[1]).has(parts[0])).as(route + " is in /openapi.json").isTrue();
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

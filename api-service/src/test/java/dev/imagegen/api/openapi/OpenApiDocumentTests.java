package dev.imagegen.api.openapi;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import dev.imagegen.api.problem.ProblemTypes;
import dev.imagegen.testsupport.ProbeBodies;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.context.ApplicationContext;
import org.springframework.core.io.Resource;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.reactive.result.method.RequestMappingInfo;
import org.springframework.web.reactive.function.server.HandlerFunction;
import org.springframework.web.reactive.function.server.RequestPredicate;
import org.springframework.web.reactive.function.server.RequestPredicates;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.support.RouterFunctionMapping;
import org.springframework.web.reactive.result.method.RequestMappingInfoHandlerMapping;
import org.springframework.web.util.pattern.PathPattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Walks {@code /openapi.json} against the running API: every documented operation answers with a status it
 * documents (never an undocumented 404, never 405), every route the app's handler mappings serve is
 * documented (controllers, router functions and the probes, whoever added them), the probes and the page answer
 * the bodies they document, the Redis mode's problems and {@code Retry-After} are listed wherever they can be
 * met, every problem type the document names is a {@link ProblemTypes} constant and every constant is documented
 * for a route (the answers of any route, 405, 414 and 431, checked against the app), and the interactive page at
 * {@code /docs} is served with its scripts from the bundled webjar.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@AutoConfigureWebTestClient(timeout = "20s")
class OpenApiDocumentTests {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private static final Pattern PROBLEM_TYPE = Pattern.compile(Pattern.quote(ProblemTypes.BASE) + "[a-z0-9-]+");

	static final Set<String> OPERATIONS = Set.of("get", "put", "post", "delete", "options", "head", "patch",
			"trace");

	/**
	 * The paths the client filter lets through without a limit decision (ClientFilter#exempt): every other route
	 * meets the Redis mode's {@code 503 queue-unavailable} when Redis fails.
	 */
	static final Set<String> CLIENT_LIMIT_EXEMPT = Set.of("/health", "/livez", "/readyz");

	/** The routes that send a generation to the shared queue, or answer the outcome of one a job sent. */
	private static final Set<String> GENERATING = Set.of("get /generate", "post /generate",
			"post /v1/images/generations", "get /jobs/{id}/image");

	@Autowired
	WebTestClient client;

	@Autowired
	ApplicationContext context;

	private JsonNode document() {
		byte[] body = this.client.get()
			.uri("/openapi.json")
			.exchange()
			.expectStatus()
			.isOk()
			.expectBody()
			.returnResult()
			.getResponseBody();
		return JSON.readTree(new String(body, StandardCharsets.UTF_8));
	}

	@Test
	void theDocumentIsOpenApi31() {
		JsonNode document = document();
		assertThat(document.path("openapi").asString()).startsWith("3.1");
		assertThat(document.path("paths").has("/generate")).isTrue();
		assertThat(document.path("paths").path("/generate").path("get").path("parameters").toString())
			.contains("\"prompt\"", "\"seed\"", "\"guidance_scale\"", "\"shape\"", "\"format\"", "traceparent");
	}

	@Test
	void theJobsAndOpenAiRoutesAreDescribed() {
		JsonNode paths = document().path("paths");
		JsonNode postJobs = paths.path("/jobs").path("post");
		assertThat(postJobs.path("responses").path("202").path("headers").has("Location")).isTrue();
		assertThat(postJobs.path("responses").path("202").path("content").path("application/json").path("schema")
			.path("$ref").asString()).isEqualTo("#/components/schemas/Job");
		assertThat(postJobs.path("requestBody").path("content").path("application/json").path("schema").toString())
			.contains("\"prompt\"", "\"guidance_scale\"");
		assertThat(postJobs.path("responses").path("503").toString()).contains(ProblemTypes.TOO_MANY_JOBS);
		assertThat(paths.path("/jobs/{id}/image").path("get").path("responses").path("409").toString())
			.contains(ProblemTypes.JOB_NOT_FINISHED, ProblemTypes.JOB_CANCELLED);
		assertThat(paths.path("/jobs/{id}").path("get").path("responses").path("404").toString())
			.contains(ProblemTypes.JOB_NOT_FOUND);
		assertThat(paths.path("/jobs/{id}/events").path("get").path("responses").path("200").path("content")
			.has("text/event-stream")).isTrue();
		for (String method : new String[] { "get", "post" }) {
			JsonNode generate = paths.path("/generate").path(method);
			assertThat(generate.path("parameters").toString()).as(method).contains("\"Prefer\"");
			assertThat(generate.path("responses").path("202").path("headers").has("Preference-Applied")).as(method)
				.isTrue();
		}
		JsonNode generations = paths.path("/v1/images/generations").path("post");
		assertThat(generations.path("requestBody").path("content").path("application/json").path("schema").toString())
			.contains("\"response_format\"", "\"size\"", "\"n\"");
		for (String status : new String[] { "400", "401", "429", "503" }) {
			JsonNode error = generations.path("responses").path(status);
			assertThat(error.path("content").path("application/json").path("schema").path("$ref").asString()).as(status)
				.isEqualTo("#/components/schemas/OpenAiError");
			assertThat(error.has("x-problem-types")).as(status).isFalse();
		}
		JsonNode job = document().path("components").path("schemas").path("Job");
		assertThat(job.path("properties").path("queuePosition").path("type").toString()).contains("null");
		assertThat(document().path("components").path("schemas").path("OpenAiError").path("properties").has("error"))
			.isTrue();
	}

	@Test
	void everyReferencedSchemaIsInTheDocument() {
		JsonNode document = document();
		Matcher matcher = Pattern.compile("\"\\$ref\":\"#/components/schemas/([^\"]+)\"").matcher(document.toString());
		Set<String> referenced = new TreeSet<>();
		while (matcher.find()) {
			referenced.add(matcher.group(1));
		}
		assertThat(referenced).contains("Problem", "Job", "OpenAiError");
		for (String name : referenced) {
			assertThat(document.path("components").path("schemas").has(name)).as(name + " is defined").isTrue();
		}
	}

	@Test
	void everyDocumentedOperationAnswersAsDocumented() {
		JsonNode paths = document().path("paths");
		int walked = 0;
		for (Map.Entry<String, JsonNode> path : paths.properties()) {
			for (Map.Entry<String, JsonNode> operation : path.getValue().properties()) {
				if (!OPERATIONS.contains(operation.getKey())) {
					continue;
				}
				Set<String> documented = new HashSet<>();
				operation.getValue().path("responses").propertyNames().forEach(documented::add);
				int status = call(this.client, operation.getKey(), path.getKey(), operation.getValue()).getStatus()
					.value();
				String what = operation.getKey().toUpperCase(Locale.ROOT) + " " + path.getKey() + " answered " + status
						+ ", documented " + documented;
				assertThat(status).as(what).isNotEqualTo(405);
				assertThat(documented.contains(Integer.toString(status)) || documented.contains("default")).as(what)
					.isTrue();
				walked++;
			}
		}
		assertThat(walked).isGreaterThanOrEqualTo(4);
	}

	/** Calls an operation with what a client knows from the document alone: no parameters, an empty object body. */
	static EntityExchangeResult<byte[]> call(WebTestClient client, String method, String path, JsonNode operation) {
		String concrete = path.replaceAll("\\{[^}]+}", "openapi-probe");
		WebTestClient.RequestBodySpec request = client.method(HttpMethod.valueOf(method.toUpperCase(Locale.ROOT)))
			.uri(concrete);
		JsonNode body = operation.path("requestBody").path("content");
		EntityExchangeResult<byte[]> result;
		if (!body.isMissingNode() && body.propertyNames().iterator().hasNext()) {
			String mediaType = body.propertyNames().iterator().next();
			result = request.contentType(MediaType.parseMediaType(mediaType)).bodyValue("{}").exchange()
				.expectBody().returnResult();
		}
		else {
			result = request.exchange().expectBody().returnResult();
		}
		return result;
	}

	@Test
	void everyServedRouteIsDocumented() {
		JsonNode paths = document().path("paths");
		Set<String> served = servedRoutes();
		// One of each kind of mapping: controllers, router functions (the app's and Boot's welcome page), and
		// actuator's additional health paths.
		assertThat(served).contains("get /generate", "post /generate", "get /health", "get /page-config.json",
				"get /", "get /livez", "get /readyz");
		for (String route : served) {
			String[] parts = route.split(" ", 2);
			assertThat(paths.path(parts[1]).has(parts[0])).as(route + " is in /openapi.json").isTrue();
		}
	}

	/**
	 * The routes of every handler mapping of the app: annotated controllers and actuator's endpoints (both
	 * {@link RequestMappingInfoHandlerMapping}s) and router functions. Not the API: springdoc's own routes (the
	 * document and its page) and {@code /actuator/**}, Spring Boot's management endpoints, which MANAGEMENT_PORT
	 * moves off the main port (docs/operations.md). Static files ({@code /app.js}, …) are resources, not routes.
	 */
	private Set<String> servedRoutes() {
		Set<String> served = new TreeSet<>();
		for (RequestMappingInfoHandlerMapping mapping : this.context
			.getBeansOfType(RequestMappingInfoHandlerMapping.class)
			.values()) {
			for (Map.Entry<RequestMappingInfo, HandlerMethod> entry : mapping.getHandlerMethods().entrySet()) {
				if (entry.getValue().getBeanType().getName().startsWith("org.springdoc.")) {
					continue;
				}
				Set<RequestMethod> methods = entry.getKey().getMethodsCondition().getMethods();
				for (PathPattern pattern : entry.getKey().getPatternsCondition().getPatterns()) {
					for (RequestMethod method : methods.isEmpty() ? Set.of(RequestMethod.GET) : methods) {
						served.add(method.name().toLowerCase(Locale.ROOT) + " " + pattern.getPatternString());
					}
				}
			}
		}
		for (RouterFunctionMapping mapping : this.context.getBeansOfType(RouterFunctionMapping.class).values()) {
			if (mapping.getRouterFunction() != null) {
				mapping.getRouterFunction().accept(new RouteCollector(served));
			}
		}
		served.removeIf((route) -> {
			String path = route.split(" ", 2)[1];
			return path.equals("/actuator") || path.startsWith("/actuator/");
		});
		return served;
	}

	@Test
	void theProbesAnswerTheBodiesTheyDocument() {
		JsonNode paths = document().path("paths");
		// No worker is configured here: alive, and not ready.
		for (String accept : new String[] { null, "application/json" }) {
			expectProbe(paths, "/livez", accept, 200, "UP", "livenessState");
			expectProbe(paths, "/readyz", accept, 503, "DOWN", "workers");
		}
	}

	private void expectProbe(JsonNode paths, String path, String accept, int status, String health, String member) {
		WebTestClient.RequestHeadersSpec<?> request = this.client.get().uri(path);
		if (accept != null) {
			request = request.header("Accept", accept);
		}
		EntityExchangeResult<byte[]> result = request.exchange().expectBody().returnResult();
		String what = path + " (Accept " + accept + ")";
		assertThat(result.getStatus().value()).as(what).isEqualTo(status);
		MediaType answered = result.getResponseHeaders().getContentType();
		ProbeBodies.assertDocumented(paths, path, status, answered.getType() + "/" + answered.getSubtype(),
				JSON.readTree(new String(result.getResponseBody(), StandardCharsets.UTF_8)), health, member, what);
	}

	@Test
	void thePageRoutesAnswerAsDocumented() {
		JsonNode paths = document().path("paths");
		EntityExchangeResult<byte[]> page = this.client.get().uri("/").header("Accept", "text/html").exchange()
			.expectBody().returnResult();
		assertThat(page.getStatus().value()).isEqualTo(200);
		assertThat(page.getResponseHeaders().getContentType().isCompatibleWith(MediaType.TEXT_HTML)).isTrue();
		assertThat(paths.path("/").path("get").path("responses").path("200").path("content").has("text/html")).isTrue();
		EntityExchangeResult<byte[]> notHtml = this.client.get().uri("/").header("Accept", "application/json")
			.exchange().expectBody().returnResult();
		assertThat(notHtml.getStatus().value()).isEqualTo(404);
		assertThat(paths.path("/").path("get").path("responses").path("404").path("x-problem-types").toString())
			.contains(ProblemTypes.NOT_FOUND);
		JsonNode settings = JSON.readTree(new String(this.client.get().uri("/page-config.json").exchange()
			.expectStatus().isOk().expectBody().returnResult().getResponseBody(), StandardCharsets.UTF_8));
		Set<String> documented = new HashSet<>();
		paths.path("/page-config.json").path("get").path("responses").path("200").path("content")
			.path("application/json").path("schema").path("properties").propertyNames().forEach(documented::add);
		assertThat(documented).containsAll(settings.propertyNames()).isNotEmpty();
	}

	/**
	 * The method and path of each route of a router function, nested prefixes included. A route or predicate it
	 * cannot read fails the test rather than go unchecked.
	 */
	private static final class RouteCollector implements RouterFunctions.Visitor {

		private final Set<String> served;

		private final Deque<String> prefixes = new ArrayDeque<>();

		RouteCollector(Set<String> served) {
			this.served = served;
		}

		@Override
		public void startNested(RequestPredicate predicate) {
			PredicateReader reader = PredicateReader.read(predicate);
			assertThat(reader.paths).as("a nested router's prefix " + predicate).hasSize(1);
			this.prefixes.push(prefix() + reader.paths.get(0));
		}

		@Override
		public void endNested(RequestPredicate predicate) {
			this.prefixes.pop();
		}

		@Override
		public void route(RequestPredicate predicate, HandlerFunction<?> handlerFunction) {
			PredicateReader reader = PredicateReader.read(predicate);
			Set<HttpMethod> methods = reader.methods.isEmpty() ? Set.of(HttpMethod.GET) : reader.methods;
			List<String> routePaths = reader.paths.isEmpty() ? List.of("") : reader.paths;
			for (HttpMethod method : methods) {
				for (String path : routePaths) {
					this.served.add(method.name().toLowerCase(Locale.ROOT) + " " + prefix() + path);
				}
			}
		}

		private String prefix() {
			return this.prefixes.isEmpty() ? "" : this.prefixes.peek();
		}

		@Override
		public void resources(Function<ServerRequest, Mono<Resource>> lookupFunction) {
			// Static files, as the resource handler serves them: not routes of the API.
		}

		@Override
		public void attributes(Map<String, Object> attributes) {
		}

		@Override
		public void unknown(RouterFunction<?> routerFunction) {
			throw new AssertionError("A router function this test cannot read: " + routerFunction);
		}

	}

	/** The methods and paths a route's predicate asks for (those inside a negation excluded). */
	private static final class PredicateReader implements RequestPredicates.Visitor {

		final Set<HttpMethod> methods = new HashSet<>();

		final List<String> paths = new ArrayList<>();

		private int negated;

		static PredicateReader read(RequestPredicate predicate) {
			PredicateReader reader = new PredicateReader();
			predicate.accept(reader);
			return reader;
		}

		@Override
		public void method(Set<HttpMethod> methods) {
			if (this.negated == 0) {
				this.methods.addAll(methods);
			}
		}

		@Override
		public void path(String pattern) {
			if (this.negated == 0) {
				this.paths.add(pattern);
			}
		}

		@Override
		public void pathExtension(String extension) {
		}

		@Override
		public void header(String name, String value) {
		}

		@Override
		public void queryParam(String name, String value) {
		}

		@Override
		public void version(String version) {
		}

		@Override
		public void startAnd() {
		}

		@Override
		public void and() {
		}

		@Override
		public void endAnd() {
		}

		@Override
		public void startOr() {
		}

		@Override
		public void or() {
		}

		@Override
		public void endOr() {
		}

		@Override
		public void startNegate() {
			this.negated++;
		}

		@Override
		public void endNegate() {
			this.negated--;
		}

		@Override
		public void unknown(RequestPredicate predicate) {
			throw new AssertionError("A route predicate this test cannot read: " + predicate);
		}

	}

	@Test
	void theRedisModesProblemsAreListedOnEveryRouteThatCanMeetThem() {
		JsonNode paths = document().path("paths");
		Set<String> checked = new TreeSet<>();
		for (Map.Entry<String, JsonNode> path : paths.properties()) {
			if (CLIENT_LIMIT_EXEMPT.contains(path.getKey())) {
				continue;
			}
			for (Map.Entry<String, JsonNode> operation : path.getValue().properties()) {
				if (!OPERATIONS.contains(operation.getKey())) {
					continue;
				}
				String route = operation.getKey() + " " + path.getKey();
				JsonNode responses = operation.getValue().path("responses");
				JsonNode unavailable = responses.path("503");
				assertThat(errorNames(path.getKey(), unavailable)).as(route)
					.contains(errorName(path.getKey(), ProblemTypes.QUEUE_UNAVAILABLE));
				assertThat(unavailable.path("headers").has("Retry-After")).as(route + " 503 Retry-After").isTrue();
				assertThat(unavailable.path("content").has(errorMediaType(path.getKey()))).as(route).isTrue();
				if (GENERATING.contains(route)) {
					assertThat(errorNames(path.getKey(), unavailable)).as(route)
						.contains(errorName(path.getKey(), ProblemTypes.QUEUE_FULL));
					assertThat(errorNames(path.getKey(), responses.path("504"))).as(route)
						.contains(errorName(path.getKey(), ProblemTypes.DEADLINE_EXCEEDED));
				}
				checked.add(route);
			}
		}
		assertThat(checked).containsAll(GENERATING)
			.contains("head /generate", "post /jobs", "get /jobs/{id}", "delete /jobs/{id}", "get /jobs/{id}/events",
					"get /v1/images/{name}", "get /v1/models", "get /v1/models/{id}");
		JsonNode events = paths.path("/jobs/{id}/events").path("get");
		assertThat(events.path("description").asString()).contains("'event: error'", "queue-unavailable",
				"retry: 5000");
		JsonNode frames = events.path("responses").path("200").path("content").path("text/event-stream")
			.path("x-sse-events");
		assertThat(frames.path("job").path("$ref").asString()).isEqualTo("#/components/schemas/Job");
		assertThat(frames.path("error").path("$ref").asString()).isEqualTo("#/components/schemas/JobStreamError");
		assertThat(document().path("components").path("schemas").path("JobStreamError").path("properties")
			.propertyNames()).contains("type", "title", "status", "detail", "instance");
	}

	@Test
	void everyWaitToldByRetryAfterIsDocumented() {
		JsonNode paths = document().path("paths");
		int problems = 0;
		for (Map.Entry<String, JsonNode> path : paths.properties()) {
			for (Map.Entry<String, JsonNode> operation : path.getValue().properties()) {
				for (String status : new String[] { "429", "503" }) {
					JsonNode response = operation.getValue().path("responses").path(status);
					if (response.has("x-problem-types") || response.has("x-openai-error-codes")) {
						assertThat(response.path("headers").has("Retry-After"))
							.as(operation.getKey() + " " + path.getKey() + " " + status).isTrue();
						problems++;
					}
				}
			}
		}
		assertThat(problems).isGreaterThanOrEqualTo(20);
		assertThat(paths.path("/jobs/{id}/image").path("get").path("responses").path("409").path("headers")
			.has("Retry-After")).isTrue();
	}

	@Test
	void aWorkersUpstreamRejectedIsDocumentedWhereItIsPassedOn() {
		JsonNode paths = document().path("paths");
		for (String route : new String[] { "/generate get", "/generate post", "/jobs/{id}/image get" }) {
			String[] parts = route.split(" ");
			JsonNode rejected = paths.path(parts[0]).path(parts[1]).path("responses").path("422");
			assertThat(rejected.path("description").asString()).as(route).contains("upstream-rejected");
			assertThat(rejected.path("content").has("application/problem+json")).as(route).isTrue();
		}
	}

	/** The problem types (or, under {@code /v1/}, OpenAI error codes) a documented response lists. */
	static Set<String> errorNames(String path, JsonNode response) {
		Set<String> names = new TreeSet<>();
		response.path(path.startsWith("/v1/") ? "x-openai-error-codes" : "x-problem-types")
			.forEach((name) -> names.add(name.asString()));
		return names;
	}

	/** How a problem type is named in a response of this path: itself, or its OpenAI error code under /v1/. */
	static String errorName(String path, String type) {
		return path.startsWith("/v1/") ? ProblemTypes.shortName(type).replace('-', '_') : type;
	}

	static String errorMediaType(String path) {
		return path.startsWith("/v1/") ? "application/json" : "application/problem+json";
	}

	@Test
	void everyProblemTypeOfTheCodeIsDocumentedForARoute() throws IllegalAccessException {
		JsonNode document = document();
		Set<String> routed = new TreeSet<>();
		for (Map.Entry<String, JsonNode> path : document.path("paths").properties()) {
			for (Map.Entry<String, JsonNode> member : path.getValue().properties()) {
				if (OPERATIONS.contains(member.getKey())) {
					member.getValue().path("responses").forEach((response) -> typesOf(document, response, routed));
				}
				else if (member.getKey().equals("x-other-methods")) {
					member.getValue().forEach((response) -> typesOf(document, response, routed));
				}
			}
		}
		assertThat(routed).containsAll(knownProblemTypes());
	}

	@Test
	void theProblemsOfAnyRouteAnswerAsDocumented() {
		JsonNode document = document();
		JsonNode paths = document.path("paths");
		int walked = 0;
		for (Map.Entry<String, JsonNode> path : paths.properties()) {
			if (path.getValue().has("patch")) {
				continue;
			}
			String concrete = path.getKey().replaceAll("\\{[^}]+}", "openapi-probe");
			EntityExchangeResult<byte[]> result = this.client.method(HttpMethod.PATCH).uri(concrete).exchange()
				.expectBody().returnResult();
			String what = "PATCH " + path.getKey() + " answered " + result.getStatus().value();
			JsonNode others = path.getValue().path("x-other-methods");
			assertThat(others.propertyNames()).as(what).containsExactly(Integer.toString(result.getStatus().value()));
			if (result.getStatus().value() == 405) {
				assertThat(result.getResponseHeaders().getAllow()).as(what).isNotEmpty();
			}
			Set<String> documented = new TreeSet<>();
			typesOf(document, others.path(Integer.toString(result.getStatus().value())), documented);
			assertThat(documented).as(what).containsExactly(answeredType(path.getKey(), result));
			walked++;
		}
		assertThat(walked).isGreaterThanOrEqualTo(10);
		// Before routing: problem+json even under /v1/.
		expectBeforeRouting(document, "/v1/images/generations", "post", 414, ProblemTypes.URI_TOO_LONG,
				this.client.post().uri("/v1/images/generations?q=" + "a".repeat(70_000)));
		expectBeforeRouting(document, "/generate", "get", 431, ProblemTypes.HEADERS_TOO_LARGE,
				this.client.get().uri("/generate?prompt=fox").header("X-Padding", "a".repeat(20_000)));
	}

	private static void expectBeforeRouting(JsonNode document, String path, String method, int status, String type,
			WebTestClient.RequestHeadersSpec<?> request) {
		EntityExchangeResult<byte[]> result = request.exchange().expectBody().returnResult();
		assertThat(result.getStatus().value()).as(path).isEqualTo(status);
		assertThat(JSON.readTree(new String(result.getResponseBody(), StandardCharsets.UTF_8)).path("type").asString())
			.as(path).isEqualTo(type);
		Set<String> documented = new TreeSet<>();
		JsonNode operation = document.path("paths").path(path).path(method);
		typesOf(document, operation.path("responses").path(Integer.toString(status)), documented);
		assertThat(documented).as(method + " " + path).containsExactly(type);
	}

	/** The type of an error answer: the problem's, or under /v1/ the envelope's code read back as one. */
	private static String answeredType(String path, EntityExchangeResult<byte[]> result) {
		JsonNode body = JSON.readTree(new String(result.getResponseBody(), StandardCharsets.UTF_8));
		if (path.startsWith("/v1/")) {
			return ProblemTypes.BASE + body.path("error").path("code").asString().replace('_', '-');
		}
		return body.path("type").asString();
	}

	/** The types a response (or the response it refers to) lists, OpenAI codes read back as problem types. */
	private static void typesOf(JsonNode document, JsonNode response, Set<String> into) {
		JsonNode resolved = response.has("$ref") ? document.at(response.path("$ref").asString().substring(1))
				: response;
		assertThat(resolved.isMissingNode()).as(response.toString() + " resolves").isFalse();
		resolved.path("x-problem-types").forEach((type) -> into.add(type.asString()));
		resolved.path("x-openai-error-codes")
			.forEach((code) -> into.add(ProblemTypes.BASE + code.asString().replace('_', '-')));
	}

	private static Set<String> knownProblemTypes() throws IllegalAccessException {
		Set<String> known = new TreeSet<>();
		for (Field field : ProblemTypes.class.getFields()) {
			if (Modifier.isStatic(field.getModifiers()) && field.getType() == String.class
					&& !field.getName().equals("BASE")) {
				known.add((String) field.get(null));
			}
		}
		assertThat(known).hasSizeGreaterThanOrEqualTo(20);
		return known;
	}

	@Test
	void everyDocumentedProblemTypeExistsInCode() throws IllegalAccessException {
		Set<String> known = knownProblemTypes();
		String text = document().toString();
		Matcher matcher = PROBLEM_TYPE.matcher(text);
		Set<String> documented = new TreeSet<>();
		while (matcher.find()) {
			documented.add(matcher.group());
		}
		assertThat(documented).hasSizeGreaterThanOrEqualTo(10);
		assertThat(known).containsAll(documented);
	}

	@Test
	void theInteractivePageIsServedFromTheBundledWebjar() {
		EntityExchangeResult<byte[]> redirect = this.client.get().uri("/docs").exchange().expectBody().returnResult();
		assertThat(redirect.getStatus().is3xxRedirection()).as(redirect.toString()).isTrue();
		String page = redirect.getResponseHeaders().getLocation().getPath();
		String html = new String(this.client.get()
			.uri(page)
			.exchange()
			.expectStatus()
			.isOk()
			.expectBody()
			.returnResult()
			.getResponseBody(), StandardCharsets.UTF_8);
		assertThat(html).contains("swagger-ui");
		String base = page.substring(0, page.lastIndexOf('/') + 1);
		this.client.get().uri(base + "swagger-ui-bundle.js").exchange().expectStatus().isOk();
		this.client.get()
			.uri(base + "swagger-initializer.js")
			.exchange()
			.expectStatus()
			.isOk()
			.expectBody(String.class)
			.value((script) -> assertThat(script).contains("/openapi.json"));
	}

}

package dev.imagegen.api.openapi;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import dev.imagegen.api.problem.ProblemTypes;
import dev.imagegen.api.redis.RedisModeApi;
import dev.imagegen.testsupport.TestRedis;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The document against an API in the Redis mode whose Redis stopped answering: every documented operation answers
 * a status it documents; every one the client filter guards answers {@code 503 queue-unavailable} (the OpenAI
 * routes: code {@code queue_unavailable}) with {@code Retry-After}, which its documented 503 lists; the probes and
 * {@code /health} keep answering without Redis.
 */
class OpenApiRedisModeTests {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	@Test
	void withRedisSilentEveryRouteAnswersAsDocumented() {
		try (TestRedis redis = TestRedis.start();
				RedisModeApi api = RedisModeApi.start(redis, "spring.data.redis.timeout=500ms",
						"spring.data.redis.connect-timeout=500ms")) {
			WebTestClient client = api.client();
			// Read while Redis answers: the document itself is behind the client limits.
			JsonNode paths = JSON.readTree(new String(client.get().uri("/openapi.json").exchange().expectStatus().isOk()
				.expectBody().returnResult().getResponseBody(), StandardCharsets.UTF_8)).path("paths");
			redis.pause();
			try {
				Set<String> refused = new TreeSet<>();
				for (Map.Entry<String, JsonNode> path : paths.properties()) {
					for (Map.Entry<String, JsonNode> operation : path.getValue().properties()) {
						if (OpenApiDocumentTests.OPERATIONS.contains(operation.getKey())) {
							check(client, path.getKey(), operation.getKey(), operation.getValue(), refused);
						}
					}
				}
				assertThat(refused).contains("get /", "get /page-config.json", "get /generate", "post /jobs",
						"get /jobs/{id}/events", "get /jobs/{id}/image", "post /v1/images/generations",
						"get /v1/images/{name}");
			}
			finally {
				redis.resume();
			}
		}
	}

	private static void check(WebTestClient client, String path, String method, JsonNode operation,
			Set<String> refused) {
		EntityExchangeResult<byte[]> result = OpenApiDocumentTests.call(client, method, path, operation);
		int status = result.getStatus().value();
		Set<String> documented = new HashSet<>();
		operation.path("responses").propertyNames().forEach(documented::add);
		String route = method + " " + path;
		assertThat(documented).as(route + " answered " + status).contains(Integer.toString(status));
		if (OpenApiDocumentTests.CLIENT_LIMIT_EXEMPT.contains(path)) {
			return;
		}
		assertThat(status).as(route).isEqualTo(503);
		assertThat(result.getResponseHeaders().getFirst("Retry-After")).as(route).isEqualTo("5");
		String name = OpenApiDocumentTests.errorName(path, ProblemTypes.QUEUE_UNAVAILABLE);
		assertThat(OpenApiDocumentTests.errorNames(path, operation.path("responses").path("503"))).as(route)
			.contains(name);
		if (!method.toUpperCase(Locale.ROOT).equals("HEAD")) {
			JsonNode body = JSON.readTree(new String(result.getResponseBody(), StandardCharsets.UTF_8));
			String answered = path.startsWith("/v1/") ? body.path("error").path("code").asString()
					: body.path("type").asString();
			assertThat(answered).as(route).isEqualTo(name);
		}
		refused.add(route);
	}

}

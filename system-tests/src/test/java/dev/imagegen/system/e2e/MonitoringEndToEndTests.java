package dev.imagegen.system.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Logs, traces and metrics of the real jars (docs/operations.md), with {@code LOG_FORMAT=json} and
 * {@code METRICS_TOKEN} on both services: every access line is an ECS JSON object with the request id,
 * trace id and client and without the prompt; one trace spans the API and the worker; and every metric
 * that the Grafana dashboard ({@code docker/grafana/imagegen.json}) and the alert rules
 * ({@code docker/prometheus/alerts.yml}) query is exported by the running services.
 */
class MonitoringEndToEndTests {

	private static final Duration TIMEOUT = Duration.ofSeconds(60);

	private static final String METRICS_TOKEN = "monitoring-test-metrics-token";

	private static final String ALICE_KEY = "alice-monitoring-key-0123456789";

	/** Words of PromQL that are not metric names. */
	private static final Set<String> PROMQL_WORDS = Set.of("sum", "rate", "max", "min", "avg", "count", "by",
			"without", "and", "or", "unless", "offset", "bool", "on", "ignoring", "group_left", "group_right",
			"increase", "irate", "histogram_quantile", "topk", "bottomk", "abs", "clamp_min", "clamp_max", "vector",
			"time", "absent", "delta", "deriv", "avg_over_time", "max_over_time", "min_over_time", "sum_over_time");

	/** Series that only the Redis mode exports (docs/operations.md), queried by the dashboard or the rules. */
	static final Set<String> REDIS_MODE_ONLY = Set.of("imagegen_redis_queue_full_total", "imagegen_redis_queue_depth",
			"imagegen_redis_queue_pending", "imagegen_redis_dispatch_seconds_count");

	private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

	private static ImagegenSystem system;

	@BeforeAll
	static void startSystem() throws IOException {
		Path keys = Files.createTempFile("imagegen-monitoring-keys", ".json");
		keys.toFile().deleteOnExit();
		Files.writeString(keys, "{\"keys\":[{\"name\":\"alice\",\"key\":\"" + ALICE_KEY + "\"}]}");
		system = ImagegenSystem.start("monitoring",
				Map.of("LOG_FORMAT", "json", "METRICS_TOKEN", METRICS_TOKEN, "API_KEYS_FILE", keys.toString()));
	}

	@AfterAll
	static void stopSystem() {
		if (system != null) {
			system.close();
		}
	}

	@Test
	void oneTraceSpansBothServicesAndTheJsonAccessLinesCarryIt() {
		String traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
		String prompt = "secret monitoring prompt " + System.nanoTime();
		HttpResponse<byte[]> response = get("/generate?seed=11&prompt=" + encode(prompt), "X-Request-Id",
				"monitoring-trace-1", "traceparent", "00-" + traceId + "-00f067aa0ba902b7-01", "Authorization",
				"Bearer " + ALICE_KEY);
		assertThat(response.statusCode()).as(() -> ApiClient.text(response) + system.logs()).isEqualTo(200);

		JsonNode api = await().atMost(TIMEOUT)
			.until(() -> accessLine(system.api(), "dev.imagegen.api.access", "monitoring-trace-1"), (line) -> line != null);
		assertThat(api.path("traceId").asString()).isEqualTo(traceId);
		assertThat(api.path("client").asString()).isEqualTo("alice");
		assertThat(api.path("status").asInt()).isEqualTo(200);
		assertThat(api.path("log").path("level").asString()).isEqualTo("INFO");
		assertThat(api.has("@timestamp")).isTrue();

		JsonNode worker = await().atMost(TIMEOUT)
			.until(() -> accessLine(system.worker(), "dev.imagegen.worker.access", "monitoring-trace-1"),
					(line) -> line != null);
		assertThat(worker.path("traceId").asString()).as("the worker continues the API's trace").isEqualTo(traceId);
		assertThat(worker.path("path").asString()).isEqualTo("/generate");
		assertThat(worker.path("client").asString()).isNotBlank();

		for (ServiceProcess service : List.of(system.api(), system.worker())) {
			assertThat(service.log()).as(service + " never logs the prompt").doesNotContain(prompt);
			assertThat(service.log().lines().filter((line) -> line.contains("monitoring-trace-1")))
				.as(service + ": every line of the request is JSON")
				.isNotEmpty()
				.allSatisfy((line) -> assertThat(ApiClient.JSON.readTree(line).isObject()).isTrue());
		}
	}

	@Test
	void problemBodiesNameTheCallersTrace() {
		String traceId = "0af7651916cd43dd8448eb211c80319c";
		HttpResponse<byte[]> response = get("/generate?prompt=", "traceparent", "00-" + traceId + "-b7ad6b7169203331-01");
		assertThat(response.statusCode()).isEqualTo(400);
		assertThat(ApiClient.json(response).path("traceId").asString()).isEqualTo(traceId);
	}

	@Test
	void everyMetricTheDashboardAndTheAlertsQueryIsExported() {
		// Traffic that creates the meters registered on first use: a generation, a cache hit, a rejection.
		for (int i = 0; i < 2; i++) {
			HttpResponse<byte[]> generated = get("/generate?seed=5&prompt=" + encode("a monitored lighthouse"));
			assertThat(generated.statusCode()).as(() -> ApiClient.text(generated)).isEqualTo(200);
		}
		assertThat(get("/generate?prompt=x", "Authorization", "Bearer not-a-known-key").statusCode()).isEqualTo(401);

		Set<String> queried = queriedMetrics();
		assertThat(queried).contains("imagegen_worker_breaker_open", "cache_gets_total", "imagegen_api_requests_seconds_count")
			.containsAll(REDIS_MODE_ONLY);
		// The Redis mode's own series are checked against a Redis-mode system (RedisScaleOutEndToEndTests).
		queried.removeAll(REDIS_MODE_ONLY);

		await().atMost(TIMEOUT).untilAsserted(() -> {
			Set<String> exported = new TreeSet<>();
			exported.addAll(scrape(system.api()));
			exported.addAll(scrape(system.worker()));
			assertThat(exported).as("series exported by api-service and worker-service").containsAll(queried);
		});
	}

	/**
	 * Every metric name the dashboard and the alert rules query.
	 * @return the names
	 */
	static Set<String> queriedMetrics() {
		Set<String> queried = new TreeSet<>();
		Path root = ImagegenSystem.root();
		JsonNode dashboard = ApiClient.JSON.readTree(read(root.resolve("docker/grafana/imagegen.json")));
		for (JsonNode panel : dashboard.path("panels")) {
			for (JsonNode target : panel.path("targets")) {
				queried.addAll(metricNames(target.path("expr").asString()));
			}
		}
		Map<String, Object> rules = new Yaml().load(read(root.resolve("docker/prometheus/alerts.yml")));
		int alerts = 0;
		for (Object group : (List<?>) rules.get("groups")) {
			for (Object rule : (List<?>) ((Map<?, ?>) group).get("rules")) {
				queried.addAll(metricNames((String) ((Map<?, ?>) rule).get("expr")));
				alerts++;
			}
		}
		assertThat(alerts).isEqualTo(7);
		return queried;
	}

	/** Metric names in a PromQL expression: label matchers, ranges, grouping lists and functions removed. */
	static Set<String> metricNames(String expression) {
		String bare = expression.replaceAll("\\{[^}]*}", " ")
			.replaceAll("\\[[^]]*]", " ")
			.replaceAll("\\boffset\\s+[0-9a-z]+", " ")
			.replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", " ");
		Set<String> names = new TreeSet<>();
		Matcher matcher = Pattern.compile("(?<![0-9.])[a-zA-Z_:][a-zA-Z0-9_:]*").matcher(bare);
		while (matcher.find()) {
			String word = matcher.group();
			if (!PROMQL_WORDS.contains(word) && !word.matches("\\d.*")) {
				names.add(word);
			}
		}
		return names;
	}

	private static Set<String> scrape(ServiceProcess service) {
		HttpResponse<byte[]> response = send(service.baseUrl() + "/actuator/prometheus", "Authorization",
				"Bearer " + METRICS_TOKEN);
		assertThat(response.statusCode()).as(() -> ApiClient.text(response)).isEqualTo(200);
		Set<String> names = new TreeSet<>();
		new String(response.body(), StandardCharsets.UTF_8).lines()
			.filter((line) -> !line.isBlank() && !line.startsWith("#"))
			.forEach((line) -> names.add(line.split("[{ ]", 2)[0]));
		return names;
	}

	private static JsonNode accessLine(ServiceProcess service, String logger, String requestId) {
		return service.log()
			.lines()
			.filter((line) -> line.startsWith("{") && line.contains(requestId))
			.map(ApiClient.JSON::readTree)
			.filter((node) -> logger.equals(node.path("log").path("logger").asString()))
			.findFirst()
			.orElse(null);
	}

	private static HttpResponse<byte[]> get(String pathAndQuery, String... headers) {
		return send(system.api().baseUrl() + pathAndQuery, headers);
	}

	private static HttpResponse<byte[]> send(String url, String... headers) {
		HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(TIMEOUT).GET();
		for (int i = 0; i < headers.length; i += 2) {
			request.header(headers[i], headers[i + 1]);
		}
		try {
			return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	private static String encode(String value) {
		return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
	}

	private static String read(Path file) {
		try {
			return Files.readString(file);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

}

package dev.imagegen.system.e2e;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A plain HTTP client of the public API, as a curl script would use it. The request timeout is well
 * below the API's own worker timeout, so that "the API answers at once" is a property a test can fail on.
 */
final class ApiClient {

	static final JsonMapper JSON = JsonMapper.builder().build();

	private final HttpClient http = HttpClient.newBuilder()
		.connectTimeout(Duration.ofSeconds(5))
		.version(HttpClient.Version.HTTP_1_1)
		.build();

	private final String baseUrl;

	ApiClient(String baseUrl) {
		this.baseUrl = baseUrl;
	}

	/** {@code GET /generate} with the given query parameters (form-encoded, in iteration order). */
	HttpResponse<byte[]> generate(Map<String, String> query, Duration timeout) {
		String encoded = query.entrySet()
			.stream()
			.map((e) -> encode(e.getKey()) + "=" + encode(e.getValue()))
			.collect(Collectors.joining("&"));
		return get("/generate?" + encoded, timeout);
	}

	/** {@code GET} of a path (with its query) on the API, with request headers as name, value, name, value… */
	HttpResponse<byte[]> get(String pathAndQuery, Duration timeout, String... headers) {
		HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(this.baseUrl + pathAndQuery)).timeout(timeout).GET();
		return send((headers.length > 0) ? request.headers(headers).build() : request.build());
	}

	/** {@code POST /generate} with a JSON body. */
	HttpResponse<byte[]> postGenerate(Map<String, ?> body, Duration timeout) {
		return post("/generate", body, timeout);
	}

	/** {@code POST} of a JSON body to a path on the API. */
	HttpResponse<byte[]> post(String path, Map<String, ?> body, Duration timeout) {
		return send(HttpRequest.newBuilder(URI.create(this.baseUrl + path))
			.timeout(timeout)
			.header("Content-Type", "application/json")
			.POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)))
			.build());
	}

	/** {@code DELETE} of a path on the API. */
	HttpResponse<byte[]> delete(String path, Duration timeout) {
		return send(HttpRequest.newBuilder(URI.create(this.baseUrl + path)).timeout(timeout).DELETE().build());
	}

	/**
	 * Reads a job's event stream ({@code text/event-stream}) to its end: the API ends it after the terminal event.
	 * @param path e.g. {@code /jobs/{id}/events}
	 * @param timeout the longest the whole stream may take
	 * @return the {@code data:} of every event, parsed, in order
	 */
	List<JsonNode> events(String path, Duration timeout) {
		HttpRequest request = HttpRequest.newBuilder(URI.create(this.baseUrl + path))
			.header("Accept", "text/event-stream")
			.timeout(timeout)
			.build();
		List<JsonNode> events = new ArrayList<>();
		try {
			HttpResponse<InputStream> response = this.http.send(request, HttpResponse.BodyHandlers.ofInputStream());
			if (response.statusCode() != 200) {
				throw new IllegalStateException("GET " + path + " answered " + response.statusCode());
			}
			try (BufferedReader reader = new BufferedReader(
					new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
				String line;
				while ((line = reader.readLine()) != null) {
					if (line.startsWith("data:")) {
						events.add(JSON.readTree(line.substring("data:".length()).trim()));
					}
				}
			}
		}
		catch (IOException ex) {
			throw new IllegalStateException("GET " + path + " failed: " + ex, ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
		return events;
	}

	/** The body of a response parsed as JSON (problem details, health). */
	static JsonNode json(HttpResponse<byte[]> response) {
		return JSON.readTree(new String(response.body(), StandardCharsets.UTF_8));
	}

	/** The body as text, for assertion messages. */
	static String text(HttpResponse<byte[]> response) {
		byte[] body = response.body();
		String text = new String(body, 0, Math.min(body.length, 2000), StandardCharsets.UTF_8);
		return response.statusCode() + " " + response.headers().map() + "\n" + text;
	}

	private HttpResponse<byte[]> send(HttpRequest request) {
		try {
			return this.http.send(request, HttpResponse.BodyHandlers.ofByteArray());
		}
		catch (IOException ex) {
			throw new IllegalStateException(request.method() + " " + request.uri() + " failed: " + ex, ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	private static String encode(String value) {
		return URLEncoder.encode(value, StandardCharsets.UTF_8);
	}

}

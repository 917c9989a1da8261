package dev.imagegen.system.e2e;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Client of the emulator's control API ({@code /__emulator/*}): configuration, queued faults and the
 * request log that shows what the worker really sent upstream.
 */
final class EmulatorControl {

	private static final JsonMapper JSON = ApiClient.JSON;

	private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

	private final String baseUrl;

	EmulatorControl(String baseUrl) {
		this.baseUrl = baseUrl;
	}

	/** Merges the given settings into the emulator's configuration. */
	JsonNode configure(Map<String, ?> settings) {
		return JSON.readTree(send("POST", "/__emulator/config", JSON.writeValueAsString(settings), 200));
	}

	/** Queues a fault, e.g. {@code {"endpoint":"generate","kind":"status","status":"invalid_data"}}. */
	void fault(Map<String, ?> fault) {
		send("POST", "/__emulator/faults", JSON.writeValueAsString(fault), 200, 201, 202, 204);
	}

	/** Simulates other users' jobs in Perchance's queue, e.g. {@code {"ahead":3,"stepMs":2000}}. */
	void queue(Map<String, ?> setting) {
		send("POST", "/__emulator/queue", JSON.writeValueAsString(setting), 200);
	}

	/** Forgets the request log. */
	void clearLog() {
		send("DELETE", "/__emulator/log", null, 200, 204);
	}

	/** Every logged request to an emulated endpoint, oldest first. */
	List<JsonNode> log() {
		JsonNode entries = JSON.readTree(send("GET", "/__emulator/log", null, 200)).path("entries");
		List<JsonNode> list = new ArrayList<>();
		entries.forEach(list::add);
		return list;
	}

	/** The logged {@code POST /api/generate} calls, oldest first. */
	List<JsonNode> generateCalls() {
		return log().stream()
			.filter((entry) -> "/api/generate".equals(entry.path("path").asString()))
			.toList();
	}

	private String send(String method, String path, String body, int... expectedStatuses) {
		HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(this.baseUrl + path))
			.timeout(Duration.ofSeconds(10));
		if (body != null) {
			request.header("Content-Type", "application/json");
			request.method(method, HttpRequest.BodyPublishers.ofString(body));
		}
		else {
			request.method(method, HttpRequest.BodyPublishers.noBody());
		}
		try {
			HttpResponse<String> response = this.http.send(request.build(), HttpResponse.BodyHandlers.ofString());
			for (int expected : expectedStatuses) {
				if (response.statusCode() == expected) {
					return response.body();
				}
			}
			throw new IllegalStateException(
					method + " " + path + " answered " + response.statusCode() + ": " + response.body());
		}
		catch (IOException ex) {
			throw new IllegalStateException(method + " " + path + " failed", ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

}

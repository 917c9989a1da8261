package dev.imagegen.worker.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import dev.imagegen.emulator.PerchanceEmulator;

/**
 * The in-JVM Perchance emulator shared by all worker tests, and a client for its control API. One emulator
 * serves the whole test run (the cached Spring contexts point at it); a JVM shutdown hook stops it.
 */
public final class Emulator {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

	private static PerchanceEmulator instance;

	private Emulator() {
	}

	/**
	 * The running emulator, started on first use.
	 * @return the emulator
	 */
	public static synchronized PerchanceEmulator get() {
		if (instance == null) {
			instance = PerchanceEmulator.start(0);
			PerchanceEmulator started = instance;
			Runtime.getRuntime().addShutdownHook(new Thread(started::close, "emulator-stop"));
		}
		return instance;
	}

	/** Forgets everything (keys, faults, log, config) and applies the test defaults. */
	public static void reset() {
		send("POST", "/__emulator/reset", null);
	}

	/**
	 * Changes the emulator's configuration.
	 * @param config partial configuration
	 * @return the whole configuration afterwards
	 */
	public static JsonNode config(Map<String, Object> config) {
		return JSON.readTree(send("POST", "/__emulator/config", JSON.writeValueAsString(config)));
	}

	/**
	 * Queues a fault.
	 * @param fault the fault description of the control API
	 */
	public static void fault(Map<String, Object> fault) {
		send("POST", "/__emulator/faults", JSON.writeValueAsString(fault));
	}

	/**
	 * Simulates jobs ahead in Perchance's queue ({@code POST /__emulator/queue}).
	 * @param queue {@code ahead}, optional {@code stepMs} and {@code userKey}
	 */
	public static void queue(Map<String, Object> queue) {
		send("POST", "/__emulator/queue", JSON.writeValueAsString(queue));
	}

	/** Empties the request log. */
	public static void clearLog() {
		send("DELETE", "/__emulator/log", null);
	}

	/** Makes every issued user key unknown. */
	public static void expireKeys() {
		send("POST", "/__emulator/keys/expire", null);
	}

	/**
	 * The request log.
	 * @return all entries
	 */
	public static List<JsonNode> log() {
		JsonNode root = JSON.readTree(send("GET", "/__emulator/log", null));
		List<JsonNode> entries = new ArrayList<>();
		root.get("entries").forEach(entries::add);
		return entries;
	}

	/**
	 * Log entries of one path.
	 * @param path e.g. {@code /api/generate}
	 * @return matching entries in order
	 */
	public static List<JsonNode> log(String path) {
		return log(path, (e) -> true);
	}

	/**
	 * Log entries of one path that match a condition.
	 * @param path e.g. {@code /api/generate}
	 * @param filter the condition
	 * @return matching entries in order
	 */
	public static List<JsonNode> log(String path, Predicate<JsonNode> filter) {
		return log().stream().filter((e) -> path.equals(e.path("path").asString())).filter(filter).toList();
	}

	/**
	 * Whether a generate entry's body carries the given prompt.
	 * @param prompt the prompt
	 * @return the condition
	 */
	public static Predicate<JsonNode> prompt(String prompt) {
		return (entry) -> {
			JsonNode body = entry.get("body");
			if (body == null || body.isNull()) {
				return false;
			}
			try {
				return prompt.equals(JSON.readTree(body.asString()).path("prompt").asString());
			}
			catch (RuntimeException ex) {
				return false;
			}
		};
	}

	private static String send(String method, String path, String body) {
		HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(get().baseUrl() + path))
			.timeout(Duration.ofSeconds(10))
			.header("Content-Type", "application/json");
		request.method(method, (body != null) ? HttpRequest.BodyPublishers.ofString(body)
				: HttpRequest.BodyPublishers.noBody());
		try {
			HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
			if (response.statusCode() >= 300) {
				throw new IllegalStateException(method + " " + path + " -> " + response.statusCode() + " " + response.body());
			}
			return response.body();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

}

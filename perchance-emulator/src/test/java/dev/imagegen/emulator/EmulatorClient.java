package dev.imagegen.emulator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.CookieManager;
import java.net.CookiePolicy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A plain {@link HttpClient} that behaves like one browser profile (it keeps the emulator's clearance
 * cookie), with shortcuts for the protocol's calls and the control API.
 */
final class EmulatorClient {

    final String baseUrl;

    final HttpClient http;

    EmulatorClient(String baseUrl) {
        this.baseUrl = baseUrl;
        CookieManager cookies = new CookieManager(null, CookiePolicy.ACCEPT_ALL);
        this.http = HttpClient.newBuilder().cookieHandler(cookies).connectTimeout(Duration.ofSeconds(5)).build();
    }

    HttpResponse<String> get(String pathAndQuery) {
        return send(HttpRequest.newBuilder(URI.create(baseUrl + pathAndQuery)).GET().build());
    }

    HttpResponse<byte[]> getBytes(String pathAndQuery) {
        return send(HttpRequest.newBuilder(URI.create(baseUrl + pathAndQuery)).GET().build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    HttpResponse<String> post(String pathAndQuery, String body) {
        return send(HttpRequest.newBuilder(URI.create(baseUrl + pathAndQuery))
            .header("Content-Type", "text/plain;charset=UTF-8")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build());
    }

    HttpResponse<String> delete(String pathAndQuery) {
        return send(HttpRequest.newBuilder(URI.create(baseUrl + pathAndQuery)).DELETE().build());
    }

    HttpResponse<String> send(HttpRequest request) {
        return send(request, HttpResponse.BodyHandlers.ofString());
    }

    private <T> HttpResponse<T> send(HttpRequest request, HttpResponse.BodyHandler<T> handler) {
        try {
            return http.send(request, handler);
        }
        catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    static JsonNode json(HttpResponse<String> response) {
        return Json.MAPPER.readTree(response.body());
    }

    JsonNode getJson(String pathAndQuery) {
        return json(get(pathAndQuery));
    }

    /** verifyUser in the trusted mode; answers the key. */
    String verify() {
        JsonNode answer = getJson("/api/verifyUser?thread=0&__cacheBust=" + Math.random());
        return answer.path("userKey").asString();
    }

    static String newRequestId() {
        return Double.toString(ThreadLocalRandom.current().nextDouble());
    }

    /** The body the real page sends, in its key order. */
    static ObjectNode body(String key, String requestId, String prompt) {
        return Json.object()
            .put("prompt", prompt)
            .put("negativePrompt", "")
            .put("seed", 42)
            .put("resolution", "768x768")
            .put("guidanceScale", 7)
            .put("channel", "ai-text-to-image-generator")
            .put("subChannel", "public")
            .put("userKey", key)
            .put("adAccessCode", "")
            .put("requestId", requestId);
    }

    HttpResponse<String> generate(String key, String requestId, String body) {
        return post("/api/generate?userKey=" + key + "&requestId=" + requestId + "&adAccessCode=&__cacheBust="
                + Math.random(), body);
    }

    JsonNode generate(String key, String prompt) {
        String rid = newRequestId();
        return json(generate(key, rid, body(key, rid, prompt).toString()));
    }

    HttpResponse<String> control(String method, String path, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl + "/__emulator/" + path));
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return send(b.build());
    }

    void config(String json) {
        HttpResponse<String> r = control("POST", "config", json);
        if (r.statusCode() != 200) {
            throw new IllegalStateException("config rejected: " + r.body());
        }
    }

    void fault(String json) {
        HttpResponse<String> r = control("POST", "faults", json);
        if (r.statusCode() != 200) {
            throw new IllegalStateException("fault rejected: " + r.body());
        }
    }

    JsonNode log() {
        return json(control("GET", "log", null)).get("entries");
    }
}

package dev.imagegen.emulator;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

import tools.jackson.databind.node.ObjectNode;

/**
 * What an emulated endpoint answers, kept apart from the exchange so that faults can replace, delay,
 * truncate or corrupt it before it goes on the wire.
 *
 * @param status HTTP status
 * @param contentType the {@code Content-Type} header
 * @param body the body bytes (empty for none)
 * @param headers extra response headers
 * @param outcome what the request log records ({@code success}, an API status, {@code http-404}, ...)
 * @param userKey the user key the request concerned when the request itself did not name one (verifyUser)
 * @param resetConnection close the connection without any answer
 */
record Reply(int status, String contentType, byte[] body, Map<String, String> headers, String outcome,
        String userKey, boolean resetConnection) {

    static final String API_CONTENT_TYPE = "text/plain;charset=UTF-8";

    static final String NO_STORE = "no-store, max-age=0";

    /** An image-API JSON answer: always HTTP 200 and {@code text/plain}, as the real service does. */
    static Reply api(ObjectNode json) {
        return new Reply(200, API_CONTENT_TYPE, bytes(json.toString()), noStore(), json.path("status").asString("unknown"),
                null, false);
    }

    static Reply text(int status, String contentType, String body, String outcome) {
        return new Reply(status, contentType, bytes(body), noStore(), outcome, null, false);
    }

    static Reply html(int status, String body, String outcome) {
        return text(status, "text/html; charset=UTF-8", body, outcome);
    }

    static Reply notFound() {
        return text(404, API_CONTENT_TYPE, "Not Found", "http-404");
    }

    static Reply methodNotAllowed() {
        return text(405, API_CONTENT_TYPE, "Method Not Allowed", "http-405");
    }

    static Reply reset(String outcome) {
        return new Reply(0, null, new byte[0], Map.of(), outcome, null, true);
    }

    Reply withUserKey(String key) {
        return new Reply(status, contentType, body, headers, outcome, key, resetConnection);
    }

    Reply withOutcome(String newOutcome) {
        return new Reply(status, contentType, body, headers, newOutcome, userKey, resetConnection);
    }

    Reply withBody(byte[] newBody) {
        return new Reply(status, contentType, newBody, headers, outcome, userKey, resetConnection);
    }

    Reply withHeader(String name, String value) {
        Map<String, String> copy = new LinkedHashMap<>(headers);
        copy.put(name, value);
        return new Reply(status, contentType, body, copy, outcome, userKey, resetConnection);
    }

    private static Map<String, String> noStore() {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Cache-Control", NO_STORE);
        return headers;
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}

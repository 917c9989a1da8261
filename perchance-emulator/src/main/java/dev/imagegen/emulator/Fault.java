package dev.imagegen.emulator;

import java.util.List;
import java.util.Set;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * One queued misbehaviour for the next calls of one endpoint.
 *
 * @param endpoint which endpoint it hits ({@link #ENDPOINTS})
 * @param kind what goes wrong ({@link #KINDS})
 * @param status for {@code status}: the {@code status} value of the JSON answer
 * @param extra for {@code status}: more fields merged into the JSON answer (may be {@code null})
 * @param delayMs for {@code delay}: how long to hold before the normal answer
 */
record Fault(String endpoint, String kind, String status, ObjectNode extra, long delayMs) {

    /** The five endpoints of the fixed control API, then extras for pages and minor endpoints. */
    static final List<String> ENDPOINTS = List.of("generate", "verifyUser", "download", "await",
            "checkUserVerificationStatus", "queuePosition", "legacyDownload", "adAccessCode", "embed", "site");

    static final List<String> KINDS = List.of("status", "cloudflare-challenge", "http-429", "http-500", "http-502",
            "non-json", "truncated-json", "delay", "connection-reset", "sha-mismatch", "expired-token");

    private static final Set<String> DOWNLOAD_ONLY = Set.of("sha-mismatch", "expired-token");

    /**
     * Reads a fault from the control API's JSON.
     *
     * @return the fault and its count
     * @throws IllegalArgumentException on anything malformed, with a message for the caller
     */
    static Pending parse(JsonNode json) {
        if (json == null || !json.isObject()) {
            throw new IllegalArgumentException("fault must be a JSON object");
        }
        String endpoint = json.path("endpoint").asString("");
        if (!ENDPOINTS.contains(endpoint)) {
            throw new IllegalArgumentException("endpoint must be one of " + ENDPOINTS);
        }
        String kind = json.path("kind").asString("");
        if (!KINDS.contains(kind)) {
            throw new IllegalArgumentException("kind must be one of " + KINDS);
        }
        if (DOWNLOAD_ONLY.contains(kind) && !endpoint.equals("download") && !endpoint.equals("legacyDownload")) {
            throw new IllegalArgumentException(kind + " applies to download endpoints only");
        }
        int count = 1;
        if (json.has("count")) {
            JsonNode c = json.get("count");
            if (!c.isIntegralNumber() || !c.canConvertToInt() || c.intValue() < 1) {
                throw new IllegalArgumentException("count must be a positive integer");
            }
            count = c.intValue();
        }
        String status = null;
        ObjectNode extra = null;
        if (kind.equals("status")) {
            JsonNode s = json.get("status");
            if (s == null || !s.isString()) {
                throw new IllegalArgumentException("kind status needs a string \"status\"");
            }
            status = s.stringValue();
            JsonNode e = json.get("extra");
            if (e != null && !e.isNull()) {
                if (!e.isObject()) {
                    throw new IllegalArgumentException("extra must be a JSON object");
                }
                extra = (ObjectNode) e;
            }
        }
        long delayMs = 0;
        if (kind.equals("delay")) {
            JsonNode d = json.get("delayMs");
            if (d == null || !d.isIntegralNumber() || d.longValue() < 0) {
                throw new IllegalArgumentException("kind delay needs a non-negative integer \"delayMs\"");
            }
            delayMs = d.longValue();
        }
        return new Pending(new Fault(endpoint, kind, status, extra, delayMs), count);
    }

    ObjectNode toJson(int remaining) {
        ObjectNode node = Json.object().put("endpoint", endpoint).put("kind", kind).put("count", remaining);
        if (status != null) {
            node.put("status", status);
        }
        if (extra != null) {
            node.set("extra", extra);
        }
        if (kind.equals("delay")) {
            node.put("delayMs", delayMs);
        }
        return node;
    }

    /** A fault with how many more calls it hits. */
    static final class Pending {

        final Fault fault;

        int remaining;

        Pending(Fault fault, int remaining) {
            this.fault = fault;
            this.remaining = remaining;
        }
    }
}

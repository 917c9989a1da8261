package dev.imagegen.emulator;

import java.util.Map;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The emulator's behaviour switches, changed at run time through {@code POST /__emulator/config}.
 *
 * @param trustMode {@code trusted}: verifyUser hands out keys at once; {@code token}: a Turnstile token is needed first
 * @param turnstileDelayMs how long the {@code /embed} widget takes before its token appears
 * @param turnstilePasses {@code false}: the widget never produces a token
 * @param generateLatencyMs how long {@code /api/generate} holds the request before answering
 * @param downloadTokenTtlSeconds lifetime of the signed download tokens
 * @param legacyDownloadEnabled whether {@code /api/downloadTemporaryImage} serves images (404 otherwise)
 * @param rateLimitPerMinute generate calls allowed in a rolling minute; 0 = no limit
 * @param awaitLatencyMs extra hold of {@code awaitExistingGenerationRequest} after the awaited generation ended
 */
record EmulatorConfig(String trustMode, long turnstileDelayMs, boolean turnstilePasses, long generateLatencyMs,
        long downloadTokenTtlSeconds, boolean legacyDownloadEnabled, int rateLimitPerMinute, long awaitLatencyMs) {

    static final String TRUSTED = "trusted";

    static final String TOKEN = "token";

    static EmulatorConfig defaults() {
        return new EmulatorConfig(TRUSTED, 1500, true, 2000, 300, false, 0, 0);
    }

    boolean tokenMode() {
        return TOKEN.equals(trustMode);
    }

    /**
     * Applies a partial JSON object; rejects unknown names and wrong types so that a typo in a test does
     * not silently leave the default in place.
     */
    EmulatorConfig patch(JsonNode patch) {
        if (patch == null || !patch.isObject()) {
            throw new IllegalArgumentException("config must be a JSON object");
        }
        ObjectNode merged = toJson();
        for (Map.Entry<String, JsonNode> field : patch.properties()) {
            String name = field.getKey();
            JsonNode v = field.getValue();
            switch (name) {
                case "trustMode" -> {
                    String mode = v.isString() ? v.stringValue() : "";
                    if (!TRUSTED.equals(mode) && !TOKEN.equals(mode)) {
                        throw new IllegalArgumentException("trustMode must be \"trusted\" or \"token\"");
                    }
                    merged.put(name, mode);
                }
                case "turnstileDelayMs", "generateLatencyMs", "downloadTokenTtlSeconds", "rateLimitPerMinute",
                        "awaitLatencyMs" -> merged.put(name, nonNegative(name, v));
                case "turnstilePasses", "legacyDownloadEnabled" -> merged.put(name, bool(name, v));
                default -> throw new IllegalArgumentException("unknown config field: " + name);
            }
        }
        return new EmulatorConfig(merged.get("trustMode").stringValue(), merged.get("turnstileDelayMs").longValue(),
                merged.get("turnstilePasses").booleanValue(), merged.get("generateLatencyMs").longValue(),
                merged.get("downloadTokenTtlSeconds").longValue(), merged.get("legacyDownloadEnabled").booleanValue(),
                merged.get("rateLimitPerMinute").intValue(), merged.get("awaitLatencyMs").longValue());
    }

    ObjectNode toJson() {
        return Json.object()
            .put("trustMode", trustMode)
            .put("turnstileDelayMs", turnstileDelayMs)
            .put("turnstilePasses", turnstilePasses)
            .put("generateLatencyMs", generateLatencyMs)
            .put("downloadTokenTtlSeconds", downloadTokenTtlSeconds)
            .put("legacyDownloadEnabled", legacyDownloadEnabled)
            .put("rateLimitPerMinute", rateLimitPerMinute)
            .put("awaitLatencyMs", awaitLatencyMs);
    }

    private static long nonNegative(String name, JsonNode v) {
        if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0 || v.longValue() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(name + " must be a non-negative integer");
        }
        return v.longValue();
    }

    private static boolean bool(String name, JsonNode v) {
        if (!v.isBoolean()) {
            throw new IllegalArgumentException(name + " must be true or false");
        }
        return v.booleanValue();
    }
}

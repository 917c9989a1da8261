package dev.imagegen.emulator;

import java.util.List;
import java.util.Map;

import tools.jackson.databind.JsonNode;

/**
 * The JSON body of {@code POST /api/generate}, validated field by field as the protocol describes it.
 *
 * @param prompt the prompt as sent
 * @param negativePrompt the negative prompt as sent (may be empty)
 * @param seed -1 for random, else 0..2147483647
 * @param width image width from {@code resolution}
 * @param height image height from {@code resolution}
 * @param guidanceScale 1..30
 * @param adAccessCode the ad code ("" for none)
 */
record GenerateBody(String prompt, String negativePrompt, long seed, int width, int height, double guidanceScale,
        String adAccessCode) {

    static final Map<String, int[]> RESOLUTIONS = Map.of("512x768", new int[] { 512, 768 }, "768x768",
            new int[] { 768, 768 }, "768x512", new int[] { 768, 512 }, "512x512", new int[] { 512, 512 });

    private static final List<String> FIELDS = List.of("prompt", "negativePrompt", "seed", "resolution", "guidanceScale",
            "channel", "subChannel", "userKey", "adAccessCode", "requestId");

    /**
     * Parses and checks the body against the query's key and request id (the real page sends both in
     * the URL and the body, and they agree).
     *
     * @throws InvalidData with the first problem found
     */
    static GenerateBody parse(String body, String userKey, String requestId) {
        JsonNode json = Json.parseOrNull(body);
        if (json == null || !json.isObject()) {
            throw new InvalidData("body is not a JSON object");
        }
        for (String field : FIELDS) {
            if (!json.has(field) || json.get(field).isNull()) {
                throw new InvalidData("missing field " + field);
            }
        }
        String prompt = string(json, "prompt");
        if (prompt.isBlank()) {
            throw new InvalidData("empty prompt");
        }
        String negativePrompt = string(json, "negativePrompt");
        JsonNode seedNode = json.get("seed");
        if (!seedNode.isIntegralNumber() || !seedNode.canConvertToLong()) {
            throw new InvalidData("seed must be an integer");
        }
        long seed = seedNode.longValue();
        if (seed != -1 && (seed < 0 || seed > Integer.MAX_VALUE)) {
            throw new InvalidData("seed must be -1 or 0..2147483647");
        }
        int[] size = RESOLUTIONS.get(string(json, "resolution"));
        if (size == null) {
            throw new InvalidData("unknown resolution");
        }
        JsonNode g = json.get("guidanceScale");
        if (!g.isNumber() || !(g.doubleValue() >= 1 && g.doubleValue() <= 30)) {
            throw new InvalidData("guidanceScale must be a number in 1..30");
        }
        if (string(json, "channel").isEmpty()) {
            throw new InvalidData("empty channel");
        }
        string(json, "subChannel");
        if (!string(json, "userKey").equals(userKey)) {
            throw new InvalidData("userKey in the body differs from the query");
        }
        String ad = string(json, "adAccessCode");
        String rid = string(json, "requestId");
        if (rid.isEmpty() || !rid.equals(requestId)) {
            throw new InvalidData("requestId in the body is empty or differs from the query");
        }
        return new GenerateBody(prompt, negativePrompt, seed, size[0], size[1], g.doubleValue(), ad);
    }

    private static String string(JsonNode json, String field) {
        JsonNode n = json.get(field);
        if (!n.isString()) {
            throw new InvalidData(field + " must be a string");
        }
        return n.stringValue();
    }

    /** A body the real service would answer with {@code invalid_data}. */
    static final class InvalidData extends RuntimeException {

        private static final long serialVersionUID = 1L;

        InvalidData(String message) {
            super(message, null, false, false);
        }
    }
}

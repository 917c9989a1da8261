package dev.imagegen.emulator;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/** The one JSON mapper of the emulator and a few helpers around it. */
final class Json {

    static final JsonMapper MAPPER = JsonMapper.builder().build();

    private Json() {
    }

    static ObjectNode object() {
        return MAPPER.createObjectNode();
    }

    /** A body of the form {@code {"status":"..."}}, the shape of nearly every image-API answer. */
    static ObjectNode status(String status) {
        return object().put("status", status);
    }

    /** Parses JSON text; answers {@code null} for anything that is not valid JSON. */
    static JsonNode parseOrNull(String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        try {
            return MAPPER.readTree(text);
        }
        catch (RuntimeException ex) {
            return null;
        }
    }
}

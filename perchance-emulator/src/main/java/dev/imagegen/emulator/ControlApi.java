package dev.imagegen.emulator;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

import com.sun.net.httpserver.HttpExchange;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** The test-facing API under {@code /__emulator/}: reset, config, faults, key expiry, upstream queue, request log. */
final class ControlApi {

    private final EmulatorState state;

    ControlApi(EmulatorState state) {
        this.state = state;
    }

    void handle(HttpExchange exchange, String path) throws IOException {
        String method = exchange.getRequestMethod();
        String body = EmulatorHandler.body(exchange);
        try {
            switch (method + " " + path) {
                case "POST reset" -> {
                    state.reset();
                    send(exchange, 204, null);
                }
                case "GET config" -> send(exchange, 200, state.config().toJson());
                case "POST config" -> {
                    JsonNode patch = Json.parseOrNull(body);
                    EmulatorConfig updated = state.config.updateAndGet(c -> c.patch(patch));
                    send(exchange, 200, updated.toJson());
                }
                case "GET faults" -> send(exchange, 200, state.faults.toJson());
                case "POST faults" -> {
                    state.faults.add(Fault.parse(Json.parseOrNull(body)));
                    send(exchange, 200, state.faults.toJson());
                }
                case "DELETE faults" -> {
                    state.faults.clear();
                    send(exchange, 204, null);
                }
                case "POST keys/expire" -> {
                    state.identities.expireAllKeys();
                    send(exchange, 204, null);
                }
                case "GET queue" -> send(exchange, 200, state.upstreamQueue.toJson());
                case "POST queue" -> {
                    state.upstreamQueue.set(Json.parseOrNull(body), state.config().generateLatencyMs());
                    send(exchange, 200, state.upstreamQueue.toJson());
                }
                case "GET log" -> send(exchange, 200, state.log.toJson());
                case "DELETE log" -> {
                    state.log.clear();
                    send(exchange, 204, null);
                }
                default -> send(exchange, 404, Json.object().put("error", "no control endpoint " + method + " /__emulator/" + path));
            }
        }
        catch (IllegalArgumentException ex) {
            send(exchange, 400, Json.object().put("error", ex.getMessage()));
        }
    }

    private static void send(HttpExchange exchange, int status, ObjectNode json) throws IOException {
        exchange.getResponseHeaders().set("Cache-Control", Reply.NO_STORE);
        if (json == null) {
            exchange.sendResponseHeaders(status, -1);
            return;
        }
        byte[] bytes = json.toString().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}

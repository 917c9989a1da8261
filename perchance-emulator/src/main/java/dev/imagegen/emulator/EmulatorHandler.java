package dev.imagegen.emulator;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;

/**
 * The one handler of the server: routes the control API apart, and for every emulated endpoint sets the
 * clearance cookie, records the request, applies a queued fault or the normal answer, and writes it.
 */
final class EmulatorHandler implements HttpHandler {

    /** Cloudflare's clearance cookie stands for the browser identity a key is bound to. */
    static final String CLEARANCE_COOKIE = "cf_clearance";

    private static final String CONTROL_PREFIX = "/__emulator/";

    private static final System.Logger LOG = System.getLogger(EmulatorHandler.class.getName());

    private final EmulatorState state;

    private final ControlApi control;

    private final Map<String, Route> routes = new LinkedHashMap<>();

    private final boolean logToConsole;

    EmulatorHandler(EmulatorState state, boolean logToConsole) {
        this.state = state;
        this.control = new ControlApi(state);
        this.logToConsole = logToConsole;
        PerchanceApi api = new PerchanceApi(state);
        route("/api/verifyUser", "GET", "verifyUser", api::verifyUser);
        route("/api/checkUserVerificationStatus", "GET", "checkUserVerificationStatus", api::checkUserVerificationStatus);
        route("/api/generate", "POST", "generate", api::generate);
        route("/api/awaitExistingGenerationRequest", "GET", "await", api::awaitExisting);
        route("/api/getUserQueuePosition", "GET", "queuePosition", api::queuePosition);
        route("/api/downloadTemporaryImageViaProxy", "GET", "download", api::download);
        route("/api/downloadTemporaryImage", "GET", "legacyDownload", api::legacyDownload);
        route("/api/getAccessCodeForAdPoweredStuff", "GET", "adAccessCode", api::adAccessCode);
        route("/cdn-cgi/challenge-platform/turnstile/token", "POST", null, api::turnstileToken);
        route("/embed", "GET", "embed", r -> Pages.embed(state.config()));
        route("/", "GET", "site", r -> Pages.home());
        route("/ai-text-to-image-generator", "GET", "site", r -> Pages.generatorPage());
    }

    private void route(String path, String method, String faultEndpoint, Function<Request, Reply> handler) {
        routes.put(path, new Route(method, faultEndpoint, handler));
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        try {
            String path = exchange.getRequestURI().getPath();
            if (path.startsWith(CONTROL_PREFIX)) {
                control.handle(exchange, path.substring(CONTROL_PREFIX.length()));
                return;
            }
            if (path.equals("/favicon.ico")) {
                // Browsers ask for it on their own; it is no part of the service and would only clutter the log.
                write(exchange, Reply.notFound());
                return;
            }
            serveEmulated(exchange, path);
        }
        catch (RuntimeException ex) {
            LOG.log(System.Logger.Level.ERROR, "emulator failed on " + exchange.getRequestURI(), ex);
            throw ex;
        }
        finally {
            exchange.close();
        }
    }

    private void serveEmulated(HttpExchange exchange, String path) throws IOException {
        long started = System.nanoTime();
        String identity = cookie(exchange.getRequestHeaders(), CLEARANCE_COOKIE);
        boolean newIdentity = identity == null;
        if (newIdentity) {
            identity = state.identities.newIdentity();
        }
        Request request = new Request(exchange.getRequestMethod(), path, query(exchange.getRequestURI().getRawQuery()),
                body(exchange), identity, 0);
        RequestLog.Entry entry = state.log.begin(request, state.generations.inFlight(request.param("userKey")));

        Reply reply;
        Route route = routes.get(path);
        if (route == null) {
            reply = Reply.notFound();
        }
        else if (!route.method().equals(request.method())) {
            reply = Reply.methodNotAllowed();
        }
        else {
            Fault fault = route.faultEndpoint() == null ? null : state.faults.next(route.faultEndpoint());
            try {
                reply = fault == null ? route.handler().apply(request) : withFault(fault, route, request);
            }
            catch (RuntimeException ex) {
                // A bug of the emulator itself: say so plainly instead of imitating any upstream answer.
                LOG.log(System.Logger.Level.ERROR, "emulator failed on " + request.method() + " " + path, ex);
                reply = Reply.text(500, Reply.API_CONTENT_TYPE, "emulator error: " + ex, "emulator-error");
            }
        }

        if (newIdentity && !reply.resetConnection()) {
            reply = reply.withHeader("Set-Cookie", CLEARANCE_COOKIE + "=" + identity
                    + "; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax");
        }
        // Completed before the answer leaves, so a client that holds the answer always finds it logged.
        state.log.complete(entry, reply.resetConnection() ? 0 : reply.status(), reply.outcome(), reply.userKey());
        try {
            write(exchange, reply);
        }
        catch (IOException ex) {
            // The client gave up (its timeout ran out during a held call): nothing left to answer.
            LOG.log(System.Logger.Level.DEBUG, "client went away before the answer to " + path + ": " + ex);
        }
        System.Logger.Level level = logToConsole ? System.Logger.Level.INFO : System.Logger.Level.DEBUG;
        if (LOG.isLoggable(level)) {
            LOG.log(level, String.format("%s %s -> %s %s (%d ms)", request.method(), path,
                    reply.resetConnection() ? "reset" : reply.status(), reply.outcome(),
                    (System.nanoTime() - started) / 1_000_000));
        }
    }

    private static Reply withFault(Fault fault, Route route, Request request) {
        String outcome = "fault:" + fault.kind();
        return switch (fault.kind()) {
            case "status" -> {
                var body = Json.status(fault.status());
                if (fault.extra() != null) {
                    body.setAll(fault.extra());
                }
                yield Reply.api(body).withOutcome(outcome);
            }
            case "cloudflare-challenge" -> Pages.cloudflareChallenge();
            case "http-429" -> Pages.rateLimited();
            case "http-500" -> Pages.serverError(500);
            case "http-502" -> Pages.serverError(502);
            case "non-json" -> Reply.text(200, Reply.API_CONTENT_TYPE,
                    "Error: the server could not complete your request. Please try again later.", outcome);
            case "truncated-json" -> {
                Reply normal = route.handler().apply(request);
                byte[] body = normal.body();
                // Half the answer, cut inside the JSON, so that parsing fails as after a dropped upstream.
                yield normal.withBody(Arrays.copyOf(body, Math.max(1, body.length / 2))).withOutcome(outcome);
            }
            case "delay" -> {
                if ("generate".equals(route.faultEndpoint())) {
                    // Held inside the generation, so the key counts as busy meanwhile, as upstream would.
                    yield route.handler().apply(request.withFaultDelay(fault.delayMs())).withOutcome(outcome);
                }
                PerchanceApi.sleep(fault.delayMs());
                yield route.handler().apply(request).withOutcome(outcome);
            }
            case "connection-reset" -> Reply.reset(outcome);
            case "sha-mismatch" -> {
                Reply normal = route.handler().apply(request);
                if (normal.status() != 200 || normal.body().length == 0) {
                    yield normal.withOutcome(outcome);
                }
                byte[] changed = normal.body().clone();
                // Flip bits in the middle of the entropy-coded data: still a decodable JPEG, other bytes.
                changed[changed.length / 2] ^= 0x5A;
                yield normal.withBody(changed).withOutcome(outcome);
            }
            case "expired-token" -> PerchanceApi.expired().withOutcome(outcome);
            default -> throw new IllegalStateException("unknown fault kind " + fault.kind());
        };
    }

    private static void write(HttpExchange exchange, Reply reply) throws IOException {
        if (reply.resetConnection()) {
            // Closing before any response header makes the JDK server drop the connection: the client
            // sees the connection end with no answer (an EOF, which the JDK cannot turn into a TCP RST).
            return;
        }
        Headers headers = exchange.getResponseHeaders();
        // No keep-alive: a browser silently re-sends a request whose reused connection closed without an
        // answer, which would swallow every connection-reset fault. On a fresh connection it reports it.
        headers.set("Connection", "close");
        if (reply.contentType() != null) {
            headers.set("Content-Type", reply.contentType());
        }
        reply.headers().forEach(headers::set);
        byte[] body = reply.body();
        boolean noBody = body.length == 0 || reply.status() == 204 || "HEAD".equals(exchange.getRequestMethod());
        exchange.sendResponseHeaders(reply.status(), noBody ? -1 : body.length);
        if (!noBody) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    static String body(HttpExchange exchange) throws IOException {
        try (InputStream in = exchange.getRequestBody()) {
            byte[] bytes = in.readAllBytes();
            return bytes.length == 0 ? null : new String(bytes, StandardCharsets.UTF_8);
        }
    }

    static Map<String, String> query(String rawQuery) {
        Map<String, String> params = new LinkedHashMap<>();
        if (rawQuery == null || rawQuery.isEmpty()) {
            return params;
        }
        for (String pair : rawQuery.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String name = eq < 0 ? pair : pair.substring(0, eq);
            String value = eq < 0 ? "" : pair.substring(eq + 1);
            try {
                params.put(URLDecoder.decode(name, StandardCharsets.UTF_8), URLDecoder.decode(value, StandardCharsets.UTF_8));
            }
            catch (IllegalArgumentException ex) {
                params.put(name, value);
            }
        }
        return params;
    }

    private static String cookie(Headers headers, String name) {
        for (String header : headers.getOrDefault("Cookie", List.of())) {
            for (String part : header.split(";")) {
                String p = part.trim();
                if (p.startsWith(name + "=")) {
                    String value = p.substring(name.length() + 1);
                    // java.net.CookieManager sends RFC 2965 style quoted values; browsers do not quote.
                    if (value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")) {
                        value = value.substring(1, value.length() - 1);
                    }
                    return value.isEmpty() ? null : value;
                }
            }
        }
        return null;
    }

    /** One emulated endpoint: its method, the name faults use for it (none for internal ones), its handler. */
    private record Route(String method, String faultEndpoint, Function<Request, Reply> handler) {
    }
}

package dev.imagegen.emulator;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import tools.jackson.databind.node.ObjectNode;

/** The image API's endpoints (section 1 to 3 of the protocol), each turning a request into a reply. */
final class PerchanceApi {

    private static final System.Logger LOG = System.getLogger(PerchanceApi.class.getName());

    /** An await never outlives this, whatever holds the key. */
    private static final long MAX_AWAIT_MINUTES = 5;

    private final EmulatorState state;

    private final SecureRandom random = new SecureRandom();

    PerchanceApi(EmulatorState state) {
        this.state = state;
    }

    /** {@code GET /api/verifyUser}: trusted and Turnstile-token paths, keys bound to the browser identity. */
    Reply verifyUser(Request r) {
        Identities ids = state.identities;
        String token = r.param("token");
        synchronized (ids) {
            Optional<String> existing = ids.liveKey(r.identity());
            if (existing.isPresent()) {
                return keyReply("already_verified", existing.get());
            }
            if (token != null && !token.isEmpty()) {
                if (!ids.consumeTurnstileToken(token)) {
                    return Reply.api(Json.status("failed_verification").put("reason", "invalid_token"));
                }
                return keyReply("success", ids.issueKey(r.identity()));
            }
            if (state.config().tokenMode()) {
                return Reply.api(Json.status("failed_verification").put("reason", "token_required"));
            }
            return keyReply("already_verified", ids.issueKey(r.identity()));
        }
    }

    /** {@code GET /api/checkUserVerificationStatus}. */
    Reply checkUserVerificationStatus(Request r) {
        return Reply.api(Json.status(state.identities.isLive(r.param("userKey")) ? "verified" : "not_verified"));
    }

    /** {@code POST /api/generate}: validates, renders, holds for what is left of the configured latency, stores. */
    Reply generate(Request r) {
        EmulatorConfig cfg = state.config();
        String key = r.param("userKey");
        String requestId = r.param("requestId");
        if (!state.generations.admit(cfg.rateLimitPerMinute())) {
            return Reply.api(Json.status("too_many_requests"));
        }
        if (!state.identities.isLive(key)) {
            return Reply.api(Json.status("invalid_key"));
        }
        Generations.InFlight claim = state.generations.tryClaim(key, requestId == null ? "" : requestId);
        if (claim == null) {
            return Reply.api(Json.status("waiting_for_prev_request_to_finish"));
        }
        try {
            sleep(r.faultDelayMs());
            GenerateBody body;
            try {
                body = GenerateBody.parse(r.body(), key, requestId);
            }
            catch (GenerateBody.InvalidData ex) {
                LOG.log(System.Logger.Level.DEBUG, "generate: invalid_data ({0})", ex.getMessage());
                return Reply.api(Json.status("invalid_data"));
            }
            if (!body.adAccessCode().isEmpty() && !state.adAccessCodes.contains(body.adAccessCode())) {
                return Reply.api(Json.status("invalid_ad_access_code"));
            }
            waitForJobsAhead(key);
            // The latency is the upstream's whole generation time, as Perchance's own rendering is part of its
            // answer time: the emulator's rendering (a CPU stand-in for the GPU) is spent within it, not added to it,
            // so that a benchmark at latency L measures L per image, not L plus the emulator's drawing.
            long renderStart = System.nanoTime();
            long seed = body.seed() == -1 ? random.nextInt(Integer.MAX_VALUE) : body.seed();
            byte[] jpeg = state.renderer.render(body.prompt(), body.negativePrompt(), seed, body.width(), body.height(),
                    body.guidanceScale());
            sleep(cfg.generateLatencyMs() - (System.nanoTime() - renderStart) / 1_000_000);
            String imageId = sha256(jpeg);
            Instant expiresAt = Instant.now().plusSeconds(state.config().downloadTokenTtlSeconds());
            String token = state.images.put(imageId, jpeg, expiresAt);
            ObjectNode ok = Json.status("success")
                .put("imageId", imageId)
                .put("fileExtension", "jpeg")
                .put("seed", seed)
                .put("prompt", body.prompt())
                .put("width", body.width())
                .put("height", body.height());
            putNumber(ok, "guidanceScale", body.guidanceScale());
            ok.put("negativePrompt", body.negativePrompt())
                .put("maybeNsfw", false)
                .put("imageDownloadUrl", "/api/downloadTemporaryImageViaProxy?t=" + token);
            return Reply.api(ok);
        }
        finally {
            state.generations.release(claim);
        }
    }

    /** Holds a generate call while the simulated upstream queue has jobs ahead of its key. */
    private void waitForJobsAhead(String key) {
        long wait;
        while ((wait = state.upstreamQueue.millisUntilClear(key)) > 0 && !Thread.currentThread().isInterrupted()) {
            // Short naps: a reset or a new setting while waiting takes effect at once.
            sleep(Math.min(wait, 50));
        }
    }

    /** {@code GET /api/awaitExistingGenerationRequest}: long poll until the key's generation ends. */
    Reply awaitExisting(Request r) {
        String key = r.param("userKey");
        if (!state.identities.isLive(key)) {
            return Reply.api(Json.status("invalid_key"));
        }
        try {
            state.generations.current(key).get(MAX_AWAIT_MINUTES, TimeUnit.MINUTES);
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
        catch (ExecutionException | TimeoutException ex) {
            // The slot is free or stuck; either way the client may try again now.
        }
        sleep(state.config().awaitLatencyMs());
        return Reply.api(Json.status("success"));
    }

    /** {@code GET /api/getUserQueuePosition}. */
    Reply queuePosition(Request r) {
        String key = r.param("userKey");
        String requestId = r.param("requestId");
        if (key == null || requestId == null) {
            return Reply.api(Json.status("not_in_queue"));
        }
        int[] pos = state.generations.position(key, requestId);
        if (pos[0] == 0) {
            return Reply.api(Json.status("not_in_queue"));
        }
        // Jobs of the simulated upstream queue (POST /__emulator/queue) come before this one.
        int ahead = state.upstreamQueue.ahead(key);
        return Reply.api(Json.status("success")
            .put("position", pos[0] + ahead)
            .put("total", pos[1] + ahead)
            .put("havingTechnicalDifficulties", false));
    }

    /** {@code GET /api/downloadTemporaryImageViaProxy?t=}: 200 JPEG, 403 expired, 404 unknown. */
    Reply download(Request r) {
        ImageStore.Lookup found = state.images.find(r.param("t"));
        return switch (found.state()) {
            case FOUND -> image(found.jpeg(), found.imageId(), found.expiresAt());
            case EXPIRED -> expired();
            case UNKNOWN -> notFoundJson();
        };
    }

    /** {@code GET /api/downloadTemporaryImage?imageId=}: the older path, off unless configured. */
    Reply legacyDownload(Request r) {
        String imageId = r.param("imageId");
        byte[] jpeg = state.config().legacyDownloadEnabled() ? state.images.byImageId(imageId) : null;
        if (jpeg == null) {
            return notFoundJson();
        }
        // Images are stored under their SHA-256, so the id that found it is the hash.
        return image(jpeg, imageId, null);
    }

    /** {@code GET /api/getAccessCodeForAdPoweredStuff}: plain text, 64 hex, remembered for generate. */
    Reply adAccessCode(Request r) {
        byte[] bytes = new byte[32];
        random.nextBytes(bytes);
        String code = HexFormat.of().formatHex(bytes);
        state.adAccessCodes.add(code);
        return Reply.text(200, Reply.API_CONTENT_TYPE, code, "success");
    }

    /** The emulator's stand-in for Cloudflare's challenge platform: the widget fetches its token here. */
    Reply turnstileToken(Request r) {
        if (!state.config().turnstilePasses()) {
            return Reply.text(403, Reply.API_CONTENT_TYPE, "turnstile: challenge not passed", "http-403");
        }
        return Reply.text(200, Reply.API_CONTENT_TYPE, state.identities.newTurnstileToken(), "success");
    }

    /** The answer to an expired token, also used by the {@code expired-token} fault. */
    static Reply expired() {
        return Reply.text(403, Reply.API_CONTENT_TYPE, Json.status("token_expired").toString(), "http-403");
    }

    private static Reply notFoundJson() {
        return Reply.text(404, Reply.API_CONTENT_TYPE, Json.status("not_found").toString(), "http-404");
    }

    private static Reply image(byte[] jpeg, String imageId, Instant expiresAt) {
        Reply reply = new Reply(200, "image/jpeg", jpeg, Map.of("Cache-Control", "private, max-age=300"),
                "success", null, false)
            .withHeader("x-image-sha256", imageId);
        return expiresAt == null ? reply
                : reply.withHeader("x-expires-at", expiresAt.truncatedTo(ChronoUnit.SECONDS).toString());
    }

    private static Reply keyReply(String status, String key) {
        return Reply.api(Json.status(status).put("userKey", key)).withUserKey(key);
    }

    /** Whole numbers as JavaScript would print them ({@code 7}, not {@code 7.0}). */
    private static void putNumber(ObjectNode node, String name, double value) {
        if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            node.put(name, (long) value);
        }
        else {
            node.put(name, value);
        }
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        }
        catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException("SHA-256 is part of every JDK", ex);
        }
    }

    static void sleep(long millis) {
        if (millis <= 0) {
            return;
        }
        try {
            Thread.sleep(millis);
        }
        catch (InterruptedException ex) {
            // The emulator is closing; answer at once.
            Thread.currentThread().interrupt();
        }
    }
}

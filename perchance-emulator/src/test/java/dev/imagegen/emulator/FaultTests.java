package dev.imagegen.emulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;

/** Every fault kind of the control API, on the endpoints the worker meets them on. */
class FaultTests extends EmulatorTestSupport {

    @ParameterizedTest
    @ValueSource(strings = { "waiting_for_prev_request_to_finish", "invalid_key", "failed_verification",
            "not_logged_in", "invalid_ad_access_code", "invalid_data", "gen_failure", "fetch_failure", "stale_request",
            "too_many_requests", "client_update_required", "some_future_status" })
    void generateAnswersAnyQueuedStatus(String status) {
        String key = client.verify();
        client.fault("{\"endpoint\":\"generate\",\"kind\":\"status\",\"status\":\"" + status + "\"}");

        HttpResponse<String> faulted = client.generate(key, "1", EmulatorClient.body(key, "1", "x").toString());

        assertThat(faulted.statusCode()).isEqualTo(200);
        assertThat(faulted.headers().firstValue("Content-Type")).hasValue("text/plain;charset=UTF-8");
        assertThat(faulted.body()).isEqualTo("{\"status\":\"" + status + "\"}");
        assertThat(lastEntry().get("outcome").asString()).isEqualTo("fault:status");
        assertThat(client.generate(key, "x").get("status").asString()).as("one call only").isEqualTo("success");
    }

    @Test
    void statusFaultMergesExtraFieldsAndHitsCountCalls() {
        String key = client.verify();
        client.fault("{\"endpoint\":\"generate\",\"kind\":\"status\",\"status\":\"gen_failure\",\"extra\":{\"type\":1},\"count\":2}");

        assertThat(client.control("GET", "faults", null).body()).isEqualTo(
                "{\"faults\":[{\"endpoint\":\"generate\",\"kind\":\"status\",\"count\":2,\"status\":\"gen_failure\",\"extra\":{\"type\":1}}]}");
        assertThat(client.generate(key, "x").toString()).isEqualTo("{\"status\":\"gen_failure\",\"type\":1}");
        assertThat(client.generate(key, "x").toString()).isEqualTo("{\"status\":\"gen_failure\",\"type\":1}");
        assertThat(client.generate(key, "x").get("status").asString()).isEqualTo("success");
        assertThat(client.control("GET", "faults", null).body()).isEqualTo("{\"faults\":[]}");
    }

    @Test
    void statusFaultsHitTheOtherJsonEndpoints() {
        String key = client.verify();
        client.fault("{\"endpoint\":\"verifyUser\",\"kind\":\"status\",\"status\":\"too_many_requests\"}");
        client.fault("{\"endpoint\":\"checkUserVerificationStatus\",\"kind\":\"status\",\"status\":\"not_verified\"}");
        client.fault("{\"endpoint\":\"await\",\"kind\":\"status\",\"status\":\"stale_request\"}");

        assertThat(client.get("/api/verifyUser?thread=0&__cacheBust=1").body()).isEqualTo("{\"status\":\"too_many_requests\"}");
        assertThat(client.get("/api/checkUserVerificationStatus?userKey=" + key + "&cacheKey=1").body())
            .isEqualTo("{\"status\":\"not_verified\"}");
        assertThat(client.get("/api/awaitExistingGenerationRequest?userKey=" + key + "&__cacheBust=x").body())
            .isEqualTo("{\"status\":\"stale_request\"}");
        assertThat(client.verify()).isEqualTo(key);
    }

    @ParameterizedTest
    @CsvSource({ "cloudflare-challenge,403,Just a moment...", "http-429,429,Access denied",
            "http-500,500,500: Internal server error", "http-502,502,502: Bad gateway" })
    void htmlFaultsAnswerWithTheirStatusAndAnHtmlPage(String kind, int status, String title) {
        client.fault("{\"endpoint\":\"verifyUser\",\"kind\":\"" + kind + "\"}");

        HttpResponse<String> page = client.get("/api/verifyUser?thread=0&__cacheBust=1");

        assertThat(page.statusCode()).isEqualTo(status);
        assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=UTF-8");
        assertThat(page.body()).containsPattern("<title>[^<]*" + Pattern.quote(title) + "[^<]*</title>");
        assertThat(lastEntry().get("httpStatus").asInt()).isEqualTo(status);
        assertThat(lastEntry().get("outcome").asString()).isEqualTo("fault:" + kind);
    }

    @Test
    void cloudflareChallengeCanHitTheEmbedPage() {
        client.fault("{\"endpoint\":\"embed\",\"kind\":\"cloudflare-challenge\"}");

        HttpResponse<String> page = client.get("/embed");

        assertThat(page.statusCode()).isEqualTo(403);
        assertThat(page.headers().firstValue("cf-mitigated")).hasValue("challenge");
        assertThat(client.get("/embed").body()).contains("cf-turnstile-response");
    }

    @Test
    void nonJsonAndTruncatedJsonAreUnparseable() {
        String key = client.verify();
        client.fault("{\"endpoint\":\"generate\",\"kind\":\"non-json\"}");
        client.fault("{\"endpoint\":\"generate\",\"kind\":\"truncated-json\"}");

        HttpResponse<String> nonJson = client.generate(key, "1", EmulatorClient.body(key, "1", "x").toString());
        HttpResponse<String> truncated = client.generate(key, "2", EmulatorClient.body(key, "2", "x").toString());

        assertThat(nonJson.statusCode()).isEqualTo(200);
        assertThat(Json.parseOrNull(nonJson.body())).isNull();
        assertThat(truncated.statusCode()).isEqualTo(200);
        assertThat(truncated.body()).startsWith("{\"status\":\"success\",\"imageId\":\"");
        assertThat(Json.parseOrNull(truncated.body())).isNull();
    }

    @Test
    void delayHoldsTheCallThenAnswersNormally() {
        String key = client.verify();
        client.fault("{\"endpoint\":\"checkUserVerificationStatus\",\"kind\":\"delay\",\"delayMs\":400}");

        long started = System.nanoTime();
        HttpResponse<String> delayed = client.get("/api/checkUserVerificationStatus?userKey=" + key + "&cacheKey=1");

        assertThat((System.nanoTime() - started) / 1_000_000).isGreaterThanOrEqualTo(400);
        assertThat(delayed.body()).isEqualTo("{\"status\":\"verified\"}");
        assertThat(lastEntry().get("outcome").asString()).isEqualTo("fault:delay");
    }

    @Test
    void delayedGenerateKeepsItsKeyBusy() {
        String key = client.verify();
        client.fault("{\"endpoint\":\"generate\",\"kind\":\"delay\",\"delayMs\":1000}");
        CompletableFuture<JsonNode> delayed = CompletableFuture.supplyAsync(() -> client.generate(key, "slow"));
        await().atMost(Duration.ofSeconds(5)).until(() -> lastEntry().get("outcome").asString().equals("pending"));

        assertThat(client.generate(key, "impatient").get("status").asString())
            .isEqualTo("waiting_for_prev_request_to_finish");
        assertThat(delayed.join().get("status").asString()).isEqualTo("success");
    }

    @Test
    void connectionResetClosesWithoutAnAnswer() {
        String key = client.verify();
        client.fault("{\"endpoint\":\"generate\",\"kind\":\"connection-reset\"}");
        HttpClient fresh = HttpClient.newHttpClient();
        HttpRequest post = HttpRequest.newBuilder(URI.create(emulator.baseUrl() + "/api/generate?userKey=" + key
                + "&requestId=1&adAccessCode=&__cacheBust=1"))
            .POST(HttpRequest.BodyPublishers.ofString(EmulatorClient.body(key, "1", "x").toString()))
            .build();

        assertThatThrownBy(() -> fresh.send(post, HttpResponse.BodyHandlers.ofString())).isInstanceOf(IOException.class);
        assertThat(lastEntry().get("outcome").asString()).isEqualTo("fault:connection-reset");
        assertThat(lastEntry().get("httpStatus").asInt()).isZero();
        assertThat(client.generate(key, "x").get("status").asString()).isEqualTo("success");
    }

    @Test
    void shaMismatchServesOtherBytesThanTheHeaderSays() {
        JsonNode generated = client.generate(client.verify(), "x");
        client.fault("{\"endpoint\":\"download\",\"kind\":\"sha-mismatch\"}");

        HttpResponse<byte[]> image = client.getBytes(generated.get("imageDownloadUrl").asString());

        assertThat(image.statusCode()).isEqualTo(200);
        assertThat(image.headers().firstValue("x-image-sha256")).hasValue(generated.get("imageId").asString());
        assertThat(PerchanceApi.sha256(image.body())).isNotEqualTo(generated.get("imageId").asString());
    }

    @Test
    void expiredTokenFaultAnswersAsForAnExpiredToken() {
        JsonNode generated = client.generate(client.verify(), "x");
        client.fault("{\"endpoint\":\"download\",\"kind\":\"expired-token\"}");

        assertThat(client.getBytes(generated.get("imageDownloadUrl").asString()).statusCode()).isEqualTo(403);
        assertThat(client.getBytes(generated.get("imageDownloadUrl").asString()).statusCode()).isEqualTo(200);
    }

    @ParameterizedTest
    @ValueSource(strings = { "{\"endpoint\":\"nope\",\"kind\":\"status\",\"status\":\"x\"}",
            "{\"endpoint\":\"generate\",\"kind\":\"nope\"}", "{\"endpoint\":\"generate\",\"kind\":\"status\"}",
            "{\"endpoint\":\"generate\",\"kind\":\"delay\"}", "{\"endpoint\":\"generate\",\"kind\":\"sha-mismatch\"}",
            "{\"endpoint\":\"generate\",\"kind\":\"http-500\",\"count\":0}", "not json" })
    void malformedFaultsAreRejected(String fault) {
        HttpResponse<String> rejected = client.control("POST", "faults", fault);

        assertThat(rejected.statusCode()).isEqualTo(400);
        assertThat(rejected.body()).contains("\"error\"");
        assertThat(client.control("GET", "faults", null).body()).isEqualTo("{\"faults\":[]}");
    }

    private JsonNode lastEntry() {
        JsonNode entries = client.log();
        return entries.get(entries.size() - 1);
    }

}

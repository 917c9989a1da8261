package dev.imagegen.emulator;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.time.Instant;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;

/** The control API: reset, config, request log, and the plain pages. */
class ControlApiTests extends EmulatorTestSupport {

    private static final String DEFAULTS = "{\"trustMode\":\"trusted\",\"turnstileDelayMs\":1500,\"turnstilePasses\":true,"
            + "\"generateLatencyMs\":2000,\"downloadTokenTtlSeconds\":300,\"legacyDownloadEnabled\":false,"
            + "\"rateLimitPerMinute\":0,\"awaitLatencyMs\":0}";

    @Test
    void resetRestoresDefaultsAndForgetsFaultsLogAndKeys() {
        String key = client.verify();
        client.fault("{\"endpoint\":\"generate\",\"kind\":\"http-500\",\"count\":3}");
        client.config("{\"trustMode\":\"token\"}");

        assertThat(client.control("POST", "reset", null).statusCode()).isEqualTo(204);

        assertThat(client.control("GET", "config", null).body()).isEqualTo(DEFAULTS);
        assertThat(client.control("GET", "faults", null).body()).isEqualTo("{\"faults\":[]}");
        assertThat(client.log()).isEmpty();
        assertThat(client.getJson("/api/checkUserVerificationStatus?userKey=" + key + "&cacheKey=1").get("status")
            .asString()).isEqualTo("not_verified");
    }

    @Test
    void configTakesPartialObjectsAndAnswersTheWholeConfig() {
        client.control("POST", "reset", null);

        HttpResponse<String> updated = client.control("POST", "config", "{\"generateLatencyMs\":10,\"trustMode\":\"token\"}");

        assertThat(updated.statusCode()).isEqualTo(200);
        assertThat(updated.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(updated.body()).isEqualTo(DEFAULTS.replace("\"trusted\"", "\"token\"").replace(":2000", ":10"));
        assertThat(client.control("GET", "config", null).body()).isEqualTo(updated.body());
    }

    @ParameterizedTest
    @ValueSource(strings = { "{\"trustMode\":\"maybe\"}", "{\"generateLatencyMs\":-1}", "{\"generateLatencyMs\":\"5\"}",
            "{\"turnstilePasses\":\"no\"}", "{\"unknownSetting\":1}", "[]", "nonsense" })
    void configRejectsWhatItCannotApplyAndKeepsTheOldValues(String patch) {
        String before = client.control("GET", "config", null).body();

        HttpResponse<String> rejected = client.control("POST", "config", patch);

        assertThat(rejected.statusCode()).isEqualTo(400);
        assertThat(rejected.body()).contains("\"error\"");
        assertThat(client.control("GET", "config", null).body()).isEqualTo(before);
    }

    @Test
    void logRecordsEveryEmulatedRequestWithItsDetails() {
        String key = client.verify();
        String rid = "0.6580087001043889";
        String body = EmulatorClient.body(key, rid, "a logged fox").toString();
        client.generate(key, rid, body);
        client.fault("{\"endpoint\":\"generate\",\"kind\":\"http-502\"}");
        client.generate(key, "0.2", EmulatorClient.body(key, "0.2", "again").toString());

        JsonNode entries = client.log();

        assertThat(entries).hasSize(3);
        JsonNode verify = entries.get(0);
        assertThat(verify.get("seq").asLong()).isEqualTo(1);
        assertThat(verify.get("method").asString()).isEqualTo("GET");
        assertThat(verify.get("path").asString()).isEqualTo("/api/verifyUser");
        assertThat(verify.get("body").isNull()).isTrue();
        assertThat(verify.get("userKey").asString()).as("the key it issued").isEqualTo(key);
        assertThat(verify.get("outcome").asString()).isEqualTo("already_verified");

        JsonNode generate = entries.get(1);
        assertThat(generate.get("seq").asLong()).isEqualTo(2);
        assertThat(Instant.parse(generate.get("time").asString())).isBeforeOrEqualTo(Instant.now());
        assertThat(generate.get("method").asString()).isEqualTo("POST");
        assertThat(generate.get("path").asString()).isEqualTo("/api/generate");
        assertThat(generate.get("query").get("userKey").asString()).isEqualTo(key);
        assertThat(generate.get("query").get("requestId").asString()).isEqualTo(rid);
        assertThat(generate.get("query").get("adAccessCode").asString()).isEmpty();
        assertThat(generate.get("body").asString()).isEqualTo(body);
        assertThat(generate.get("userKey").asString()).isEqualTo(key);
        assertThat(generate.get("requestId").asString()).isEqualTo(rid);
        assertThat(generate.get("inFlightForSameKey").asBoolean()).isFalse();
        assertThat(generate.get("httpStatus").asInt()).isEqualTo(200);
        assertThat(generate.get("outcome").asString()).isEqualTo("success");

        assertThat(entries.get(2).get("httpStatus").asInt()).isEqualTo(502);
        assertThat(entries.get(2).get("outcome").asString()).isEqualTo("fault:http-502");
    }

    @Test
    void eachLoggedRequestTellsTheEmulatorsOwnTimeForIt() {
        client.config("{\"generateLatencyMs\":150}");
        String key = client.verify();
        client.generate(key, "0.3", EmulatorClient.body(key, "0.3", "a timed fox").toString());

        JsonNode entries = client.log();

        assertThat(entries).hasSize(2);
        // The held time of the generate call is the emulator's, and so is in its duration: what a benchmark
        // subtracts from the worker's time to leave the worker's own overhead.
        assertThat(entries.get(1).get("durationMs").asLong()).isGreaterThanOrEqualTo(150);
        assertThat(entries.get(0).get("durationMs").isIntegralNumber()).isTrue();
    }

    @Test
    void logLeavesOutTheControlApiAndCanBeCleared() {
        client.get("/");
        client.control("GET", "config", null);
        assertThat(client.log()).hasSize(1);

        assertThat(client.control("DELETE", "log", null).statusCode()).isEqualTo(204);

        assertThat(client.log()).isEmpty();
        client.get("/");
        assertThat(client.log().get(0).get("seq").asLong()).isEqualTo(1);
    }

    @Test
    void unknownPathsAreNotFound() {
        assertThat(client.control("GET", "nothing-here", null).statusCode()).isEqualTo(404);
        assertThat(client.get("/api/nothingHere").statusCode()).isEqualTo(404);
        assertThat(client.post("/api/verifyUser", "").statusCode()).isEqualTo(405);
    }

    @Test
    void sitePagesAreServed() {
        HttpResponse<String> home = client.get("/");
        HttpResponse<String> generator = client.get("/ai-text-to-image-generator");

        assertThat(home.statusCode()).isEqualTo(200);
        assertThat(home.headers().firstValue("Content-Type")).hasValue("text/html; charset=UTF-8");
        assertThat(generator.statusCode()).isEqualTo(200);
        assertThat(generator.body()).contains("AI Text to Image Generator");
    }
}

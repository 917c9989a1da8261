package dev.imagegen.emulator;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** Getting a user key: trusted and Turnstile-token paths, cookie binding, expiry. */
class VerifyUserTests extends EmulatorTestSupport {

    private static final String VERIFY = "/api/verifyUser?thread=0&__cacheBust=0.5";

    @Test
    void trustedModeGivesTheSameKeyToTheSameBrowserIdentity() {
        HttpResponse<String> first = client.get(VERIFY);

        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.headers().firstValue("Content-Type")).hasValue("text/plain;charset=UTF-8");
        assertThat(first.headers().firstValue("Cache-Control")).hasValue("no-store, max-age=0");
        assertThat(first.body()).matches("\\{\"status\":\"already_verified\",\"userKey\":\"[0-9a-f]{64}\"}");
        assertThat(client.getJson(VERIFY)).isEqualTo(EmulatorClient.json(first));
    }

    @Test
    void clearanceCookieIsSetOnTheFirstPageAndBindsTheKey() {
        HttpResponse<String> page = client.get("/ai-text-to-image-generator");
        assertThat(page.headers().firstValue("Set-Cookie")).hasValueSatisfying(
                c -> assertThat(c).startsWith(EmulatorHandler.CLEARANCE_COOKIE + "=").contains("Path=/"));
        // The cookie is now known, so no later answer sets a new one.
        HttpResponse<String> verify = client.get(VERIFY);
        assertThat(verify.headers().firstValue("Set-Cookie")).isEmpty();

        String otherBrowsersKey = new EmulatorClient(emulator.baseUrl()).verify();
        assertThat(otherBrowsersKey).isNotEqualTo(EmulatorClient.json(verify).get("userKey").asString());
    }

    @Test
    void tokenModeWantsASingleUseTurnstileTokenThenIssuesAKey() {
        client.config("{\"trustMode\":\"token\"}");
        assertThat(client.get(VERIFY).body())
            .isEqualTo("{\"status\":\"failed_verification\",\"reason\":\"token_required\"}");

        String token = client.post("/cdn-cgi/challenge-platform/turnstile/token", "").body();
        assertThat(token).hasSizeGreaterThanOrEqualTo(80);
        JsonNode success = client.getJson(VERIFY + "&token=" + token);
        assertThat(success.get("status").asString()).isEqualTo("success");
        assertThat(success.get("userKey").asString()).matches("[0-9a-f]{64}");
        // The identity now holds a key and keeps it without another token.
        assertThat(client.getJson(VERIFY)).isEqualTo(
                Json.status("already_verified").put("userKey", success.get("userKey").asString()));

        EmulatorClient otherBrowser = new EmulatorClient(emulator.baseUrl());
        assertThat(otherBrowser.getJson(VERIFY + "&token=" + token).get("reason").asString())
            .as("a token works once").isEqualTo("invalid_token");
    }

    @Test
    void tokenEndpointRefusesWhenTurnstileNeverPasses() {
        client.config("{\"turnstilePasses\":false,\"turnstileDelayMs\":250}");
        assertThat(client.post("/cdn-cgi/challenge-platform/turnstile/token", "").statusCode()).isEqualTo(403);
        assertThat(client.get("/embed").body()).contains("data-delay-ms=\"250\"").contains("data-passes=\"false\"")
            .contains("<input type=\"hidden\" name=\"cf-turnstile-response\"");
    }

    @Test
    void checkUserVerificationStatusAnswersVerifiedOnlyForLiveKeys() {
        String key = client.verify();
        assertThat(client.get("/api/checkUserVerificationStatus?userKey=" + key + "&cacheKey=1").body())
            .isEqualTo("{\"status\":\"verified\"}");
        assertThat(client.get("/api/checkUserVerificationStatus?userKey=" + "0".repeat(64) + "&cacheKey=2").body())
            .isEqualTo("{\"status\":\"not_verified\"}");
    }

    @Test
    void expiringKeysMakesThemUnknownAndTheIdentityGetsANewOne() {
        String key = client.verify();

        assertThat(client.control("POST", "keys/expire", null).statusCode()).isEqualTo(204);

        assertThat(client.generate(key, "a cat").get("status").asString()).isEqualTo("invalid_key");
        assertThat(client.getJson("/api/checkUserVerificationStatus?userKey=" + key + "&cacheKey=3")
            .get("status").asString()).isEqualTo("not_verified");
        String fresh = client.verify();
        assertThat(fresh).matches("[0-9a-f]{64}").isNotEqualTo(key);
        assertThat(client.generate(fresh, "a cat").get("status").asString()).isEqualTo("success");
    }
}

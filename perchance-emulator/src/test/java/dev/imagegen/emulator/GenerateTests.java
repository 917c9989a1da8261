package dev.imagegen.emulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** Generating: the success body, validation, one in flight per key, await, queue position, rate limit, ad code. */
class GenerateTests extends EmulatorTestSupport {

    @Test
    void successBodyHasEveryFieldInTheDocumentedOrder() {
        String key = client.verify();
        String rid = EmulatorClient.newRequestId();

        HttpResponse<String> response = client.generate(key, rid, EmulatorClient.body(key, rid, "a red fox").toString());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("text/plain;charset=UTF-8");
        assertThat(response.headers().firstValue("Cache-Control")).hasValue("no-store, max-age=0");
        assertThat(response.body()).matches("\\{\"status\":\"success\",\"imageId\":\"[0-9a-f]{64}\",\"fileExtension\":\"jpeg\","
                + "\"seed\":42,\"prompt\":\"a red fox\",\"width\":768,\"height\":768,\"guidanceScale\":7,"
                + "\"negativePrompt\":\"\",\"maybeNsfw\":false,"
                + "\"imageDownloadUrl\":\"/api/downloadTemporaryImageViaProxy\\?t=v1\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\"}");
    }

    @Test
    void randomSeedBecomesAConcreteSeedAndFractionalGuidanceIsEchoed() {
        String key = client.verify();
        String rid = EmulatorClient.newRequestId();
        ObjectNode body = EmulatorClient.body(key, rid, "a cat").put("seed", -1).put("guidanceScale", 7.5)
            .put("resolution", "512x768");

        JsonNode answer = EmulatorClient.json(client.generate(key, rid, body.toString()));

        assertThat(answer.get("seed").asLong()).isBetween(0L, (long) Integer.MAX_VALUE);
        assertThat(answer.get("guidanceScale").asDouble()).isEqualTo(7.5);
        assertThat(answer.get("width").asInt()).isEqualTo(512);
        assertThat(answer.get("height").asInt()).isEqualTo(768);
    }

    @Test
    void sameInputsGiveTheSameImageIdOverHttp() {
        String key = client.verify();

        JsonNode first = client.generate(key, "a deterministic fox");
        JsonNode second = client.generate(key, "a deterministic fox");
        JsonNode other = client.generate(key, "another fox");

        assertThat(second.get("imageId")).isEqualTo(first.get("imageId"));
        assertThat(second.get("imageDownloadUrl")).as("a fresh token each time").isNotEqualTo(first.get("imageDownloadUrl"));
        assertThat(other.get("imageId")).isNotEqualTo(first.get("imageId"));
    }

    static Stream<Arguments> invalidBodies() {
        return Stream.of(
                Arguments.of("unknown resolution", (Consumer<ObjectNode>) b -> b.put("resolution", "1024x1024")),
                Arguments.of("guidance below 1", (Consumer<ObjectNode>) b -> b.put("guidanceScale", 0.5)),
                Arguments.of("guidance above 30", (Consumer<ObjectNode>) b -> b.put("guidanceScale", 31)),
                Arguments.of("guidance as text", (Consumer<ObjectNode>) b -> b.put("guidanceScale", "7")),
                Arguments.of("seed -2", (Consumer<ObjectNode>) b -> b.put("seed", -2)),
                Arguments.of("seed beyond 32 bits", (Consumer<ObjectNode>) b -> b.put("seed", 1L << 33)),
                Arguments.of("fractional seed", (Consumer<ObjectNode>) b -> b.put("seed", 1.5)),
                Arguments.of("seed as text", (Consumer<ObjectNode>) b -> b.put("seed", "42")),
                Arguments.of("missing prompt", (Consumer<ObjectNode>) b -> b.remove("prompt")),
                Arguments.of("empty prompt", (Consumer<ObjectNode>) b -> b.put("prompt", "")),
                Arguments.of("blank prompt", (Consumer<ObjectNode>) b -> b.put("prompt", "   ")),
                Arguments.of("missing negativePrompt", (Consumer<ObjectNode>) b -> b.remove("negativePrompt")),
                Arguments.of("missing channel", (Consumer<ObjectNode>) b -> b.remove("channel")),
                Arguments.of("other userKey in body", (Consumer<ObjectNode>) b -> b.put("userKey", "f".repeat(64))),
                Arguments.of("other requestId in body", (Consumer<ObjectNode>) b -> b.put("requestId", "0.1")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidBodies")
    void invalidBodiesAnswerInvalidData(String name, Consumer<ObjectNode> change) {
        String key = client.verify();
        String rid = EmulatorClient.newRequestId();
        ObjectNode body = EmulatorClient.body(key, rid, "a cat");
        change.accept(body);

        assertThat(client.generate(key, rid, body.toString()).body()).isEqualTo("{\"status\":\"invalid_data\"}");
    }

    @Test
    void bodiesThatAreNotJsonObjectsAnswerInvalidData() {
        String key = client.verify();
        for (String body : List.of("", "not json", "[1,2]", "{\"prompt\":")) {
            assertThat(client.generate(key, "0.7", body).body()).as(body).isEqualTo("{\"status\":\"invalid_data\"}");
        }
    }

    @Test
    void unknownKeyAnswersInvalidKey() {
        assertThat(client.generate("0".repeat(64), "a cat").get("status").asString()).isEqualTo("invalid_key");
    }

    @Test
    void adAccessCodeMustBeEmptyOrOneTheSiteIssued() {
        HttpResponse<String> codeResponse = client.get("/api/getAccessCodeForAdPoweredStuff");
        assertThat(codeResponse.headers().firstValue("Content-Type")).hasValue("text/plain;charset=UTF-8");
        String code = codeResponse.body();
        assertThat(code).matches("[0-9a-f]{64}");
        String key = client.verify();

        String rid = EmulatorClient.newRequestId();
        assertThat(EmulatorClient.json(client.generate(key, rid,
                EmulatorClient.body(key, rid, "a cat").put("adAccessCode", "ab".repeat(32)).toString()))
            .get("status").asString()).isEqualTo("invalid_ad_access_code");
        String rid2 = EmulatorClient.newRequestId();
        assertThat(EmulatorClient.json(client.generate(key, rid2,
                EmulatorClient.body(key, rid2, "a cat").put("adAccessCode", code).toString()))
            .get("status").asString()).isEqualTo("success");
    }

    @Test
    void oneGenerationInFlightPerKeyAndAwaitReturnsWhenItEnds() {
        client.config("{\"generateLatencyMs\":1500}");
        String key = client.verify();
        String otherKey = new EmulatorClient(emulator.baseUrl()).verify();
        CompletableFuture<JsonNode> first = CompletableFuture.supplyAsync(() -> client.generate(key, "first"));
        await().atMost(Duration.ofSeconds(5)).until(() -> hasPendingGenerate(client.log()));

        JsonNode second = client.generate(key, "second");
        assertThat(second.get("status").asString()).isEqualTo("waiting_for_prev_request_to_finish");
        assertThat(first).isNotDone();
        CompletableFuture<JsonNode> otherKeysCall = CompletableFuture.supplyAsync(() -> client.generate(otherKey, "other"));

        JsonNode awaited = client.getJson("/api/awaitExistingGenerationRequest?userKey=" + key + "&__cacheBust=x");

        assertThat(awaited.toString()).isEqualTo("{\"status\":\"success\"}");
        client.config("{\"generateLatencyMs\":0}");
        assertThat(client.generate(key, "third").get("status").asString()).as("the slot is free after await")
            .isEqualTo("success");
        assertThat(first.join().get("status").asString()).isEqualTo("success");
        assertThat(otherKeysCall.join().get("status").asString()).as("keys do not block each other").isEqualTo("success");
        List<JsonNode> generates = new ArrayList<>();
        client.log().forEach(e -> {
            if (e.get("path").asString().equals("/api/generate") && e.get("userKey").asString().equals(key)) {
                generates.add(e);
            }
        });
        assertThat(generates).hasSize(3);
        assertThat(generates.get(0).get("inFlightForSameKey").asBoolean()).isFalse();
        assertThat(generates.get(1).get("inFlightForSameKey").asBoolean()).isTrue();
        assertThat(generates.get(1).get("outcome").asString()).isEqualTo("waiting_for_prev_request_to_finish");
    }

    @Test
    void awaitWithNothingInFlightAnswersAtOnce() {
        String key = client.verify();
        assertThat(client.get("/api/awaitExistingGenerationRequest?userKey=" + key + "&__cacheBust=x").body())
            .isEqualTo("{\"status\":\"success\"}");
    }

    @Test
    void awaitLatencyHoldsTheAnswerEvenWithNothingInFlight() {
        client.config("{\"awaitLatencyMs\":300}");
        String key = client.verify();

        long started = System.nanoTime();
        JsonNode awaited = client.getJson("/api/awaitExistingGenerationRequest?userKey=" + key + "&__cacheBust=x");

        assertThat((System.nanoTime() - started) / 1_000_000).isGreaterThanOrEqualTo(300);
        assertThat(awaited.get("status").asString()).isEqualTo("success");
    }

    @Test
    void awaitWithAnUnknownKeyAnswersInvalidKey() {
        assertThat(client.get("/api/awaitExistingGenerationRequest?userKey=" + "0".repeat(64) + "&__cacheBust=x").body())
            .isEqualTo("{\"status\":\"invalid_key\"}");
    }

    @Test
    void queuePositionIsKnownOnlyWhileTheRequestIsInFlight() {
        client.config("{\"generateLatencyMs\":1500}");
        String key = client.verify();
        String rid = EmulatorClient.newRequestId();
        CompletableFuture<HttpResponse<String>> call = CompletableFuture
            .supplyAsync(() -> client.generate(key, rid, EmulatorClient.body(key, rid, "queued").toString()));
        await().atMost(Duration.ofSeconds(5)).until(() -> hasPendingGenerate(client.log()));

        assertThat(client.get("/api/getUserQueuePosition?userKey=" + key + "&requestId=" + rid).body())
            .isEqualTo("{\"status\":\"success\",\"position\":1,\"total\":1,\"havingTechnicalDifficulties\":false}");
        assertThat(client.get("/api/getUserQueuePosition?userKey=" + key + "&requestId=0.999").body())
            .isEqualTo("{\"status\":\"not_in_queue\"}");

        call.join();
        assertThat(client.get("/api/getUserQueuePosition?userKey=" + key + "&requestId=" + rid).body())
            .isEqualTo("{\"status\":\"not_in_queue\"}");
    }

    @Test
    void rateLimitRefusesCallsBeyondTheLimitInARollingMinute() {
        client.config("{\"rateLimitPerMinute\":2}");
        String key = client.verify();

        assertThat(client.generate(key, "one").get("status").asString()).isEqualTo("success");
        assertThat(client.generate(key, "two").get("status").asString()).isEqualTo("success");
        assertThat(client.generate(key, "three").get("status").asString()).isEqualTo("too_many_requests");

        client.config("{\"rateLimitPerMinute\":0}");
        assertThat(client.generate(key, "four").get("status").asString()).isEqualTo("success");
    }

    private static boolean hasPendingGenerate(JsonNode entries) {
        for (JsonNode e : entries) {
            if (e.get("path").asString().equals("/api/generate") && e.get("outcome").asString().equals("pending")) {
                return true;
            }
        }
        return false;
    }
}

package dev.imagegen.emulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;

/** The simulated upstream queue ({@code POST /__emulator/queue}): jobs ahead, advancing, holding generate. */
class UpstreamQueueTests extends EmulatorTestSupport {

    @Test
    void jobsAheadHoldTheGenerateCallAndShowInItsQueuePositionUntilWorkedOff() {
        String key = client.verify();
        assertThat(client.control("POST", "queue", "{\"ahead\":2,\"stepMs\":1500}").statusCode()).isEqualTo(200);
        String rid = EmulatorClient.newRequestId();
        CompletableFuture<HttpResponse<String>> call = CompletableFuture
            .supplyAsync(() -> client.generate(key, rid, EmulatorClient.body(key, rid, "queued").toString()));
        await().atMost(Duration.ofSeconds(5)).until(() -> position(key, rid) != null);

        Integer first = position(key, rid);
        assertThat(first).isBetween(2, 3);
        assertThat(call).isNotDone();
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            Integer now = position(key, rid);
            return now == null || now == 1;
        });

        assertThat(EmulatorClient.json(call.join()).get("status").asString()).isEqualTo("success");
        assertThat(client.control("GET", "queue", null).body()).isEqualTo("{\"ahead\":0,\"keys\":{}}");
    }

    @Test
    void jobsAheadOfOneKeyDoNotHoldAnotherKey() {
        String held = client.verify();
        client.control("POST", "queue", "{\"ahead\":100,\"stepMs\":60000,\"userKey\":\"" + held + "\"}");
        EmulatorClient other = new EmulatorClient(emulator.baseUrl());
        String free = other.verify();

        assertThat(other.generate(free, "not queued").get("status").asString()).isEqualTo("success");
        assertThat(EmulatorClient.json(client.control("GET", "queue", null)).get("keys").get(held).asInt()).isEqualTo(100);
        String rid = EmulatorClient.newRequestId();
        CompletableFuture<HttpResponse<String>> call = CompletableFuture
            .supplyAsync(() -> client.generate(held, rid, EmulatorClient.body(held, rid, "queued").toString()));
        await().atMost(Duration.ofSeconds(5)).until(() -> position(held, rid) != null);
        assertThat(position(held, rid)).isEqualTo(101);

        // Reset clears the queue and frees the held call.
        client.control("POST", "reset", null);
        assertThat(call.join().statusCode()).isEqualTo(200);
        assertThat(client.control("GET", "queue", null).body()).isEqualTo("{\"ahead\":0,\"keys\":{}}");
    }

    @Test
    void stepDefaultsToTheGenerateLatency() {
        client.config("{\"generateLatencyMs\":60000}");

        client.control("POST", "queue", "{\"ahead\":3}");

        assertThat(EmulatorClient.json(client.control("GET", "queue", null)).get("ahead").asInt()).isEqualTo(3);
        client.control("POST", "reset", null);
    }

    @ParameterizedTest
    @ValueSource(strings = { "{\"ahead\":-1}", "{\"ahead\":\"2\"}", "{}", "{\"ahead\":1,\"stepMs\":0}",
            "{\"ahead\":1,\"userKey\":\"\"}", "{\"ahead\":1,\"other\":1}", "[]", "nonsense" })
    void rejectsWhatItCannotApply(String body) {
        HttpResponse<String> rejected = client.control("POST", "queue", body);

        assertThat(rejected.statusCode()).isEqualTo(400);
        assertThat(rejected.body()).contains("\"error\"");
        assertThat(client.control("GET", "queue", null).body()).isEqualTo("{\"ahead\":0,\"keys\":{}}");
    }

    @Test
    void aZeroGenerateLatencyNeedsAnExplicitStep() {
        client.config("{\"generateLatencyMs\":0}");

        assertThat(client.control("POST", "queue", "{\"ahead\":1}").statusCode()).isEqualTo(400);
    }

    /** The request's upstream position, or null while it is not in the queue. */
    private Integer position(String key, String rid) {
        JsonNode answer = client.getJson("/api/getUserQueuePosition?userKey=" + key + "&requestId=" + rid);
        return "success".equals(answer.get("status").asString()) ? answer.get("position").asInt() : null;
    }
}

package dev.imagegen.worker.progress;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Flow;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import dev.imagegen.worker.support.Emulator;
import dev.imagegen.worker.support.WorkerTestBase;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Progress seen end to end with real Chromium against the emulator's simulated upstream queue: the phases of a
 * job in order, Perchance's queue position while its generate call waits, and the queue positions of two jobs
 * waiting behind it on the one session, going down as the jobs ahead are taken.
 */
class ProgressPhasesTests extends WorkerTestBase {

	private static final HttpClient HTTP = HttpClient.newHttpClient();

	@Test
	void phasesAndBothQueuePositionsArriveInOrder() {
		// One job ahead upstream, worked off after 2.5 s: the first queue-position poll (after 1 s) sees it.
		Emulator.queue(Map.of("ahead", 1, "stepMs", 2500));
		List<JsonNode> first = new CopyOnWriteArrayList<>();
		List<JsonNode> second = new CopyOnWriteArrayList<>();
		List<JsonNode> third = new CopyOnWriteArrayList<>();
		CompletableFuture<HttpResponse<Void>> firstStream = subscribe("phases-first", first);
		CompletableFuture<HttpResponse<byte[]>> firstImage = CompletableFuture
			.supplyAsync(() -> generate(body("first in line"), "X-Request-Id", "phases-first"));
		CompletableFuture<HttpResponse<Void>> secondStream = subscribe("phases-second", second);
		org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !first.isEmpty());
		CompletableFuture<HttpResponse<byte[]>> secondImage = CompletableFuture
			.supplyAsync(() -> generate(body("second in line"), "X-Request-Id", "phases-second"));
		org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !second.isEmpty());
		CompletableFuture<HttpResponse<Void>> thirdStream = subscribe("phases-third", third);
		CompletableFuture<HttpResponse<byte[]>> thirdImage = CompletableFuture
			.supplyAsync(() -> generate(body("third in line"), "X-Request-Id", "phases-third"));

		assertThat(firstImage.join().statusCode()).isEqualTo(200);
		assertThat(secondImage.join().statusCode()).isEqualTo(200);
		assertThat(firstStream.join().statusCode()).isEqualTo(200);
		assertThat(secondStream.join().statusCode()).isEqualTo(200);
		assertThat(thirdImage.join().statusCode()).isEqualTo(200);
		assertThat(thirdStream.join().statusCode()).isEqualTo(200);

		// Its stream may attach after the session took it: the first event is then its current phase.
		assertThat(phases(first)).containsSubsequence("generating", "downloading", "done");
		assertThat(first).filteredOn((e) -> e.path("phase").asString().equals("generating"))
			.anySatisfy((e) -> assertThat(e.path("upstreamQueuePosition").asInt()).isGreaterThanOrEqualTo(2));
		assertThat(first.get(first.size() - 1).path("phase").asString()).isEqualTo("done");
		assertThat(second.get(0).path("phase").asString()).isEqualTo("queued");
		assertThat(second.get(0).path("queuePosition").asInt()).isZero();
		assertThat(phases(second)).containsSubsequence("queued", "starting", "generating", "downloading", "done");
		// The third waits behind the second: its place goes down as the jobs ahead are taken.
		assertThat(third).filteredOn((e) -> e.path("phase").asString().equals("queued"))
			.extracting((e) -> e.path("queuePosition").asInt())
			.containsExactly(1, 0);
		assertThat(phases(third)).endsWith("done");
	}

	private static List<String> phases(List<JsonNode> events) {
		return events.stream().map((e) -> e.path("phase").asString()).toList();
	}

	private CompletableFuture<HttpResponse<Void>> subscribe(String id, List<JsonNode> events) {
		HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + "/progress/" + id))
			.header("Accept", "text/event-stream")
			.timeout(Duration.ofSeconds(60))
			.build();
		return HTTP.sendAsync(request, HttpResponse.BodyHandlers.fromLineSubscriber(new Flow.Subscriber<String>() {

			@Override
			public void onSubscribe(Flow.Subscription subscription) {
				subscription.request(Long.MAX_VALUE);
			}

			@Override
			public void onNext(String line) {
				if (line.startsWith("data:")) {
					events.add(JSON.readTree(line.substring(5)));
				}
			}

			@Override
			public void onError(Throwable throwable) {
			}

			@Override
			public void onComplete() {
			}

		}));
	}

}

package dev.imagegen.worker.progress;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.TestPropertySource;

import dev.imagegen.worker.job.GenerationSpec;
import dev.imagegen.worker.job.ImageFormat;
import dev.imagegen.worker.job.Job;
import dev.imagegen.worker.job.Phase;
import dev.imagegen.worker.job.Shape;
import dev.imagegen.worker.job.UpstreamImage;
import dev.imagegen.worker.support.NoBrowserWorker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code GET /progress/{requestId}} over real HTTP (Tomcat, filters, the token check): the event stream's
 * format and order, the end after the terminal event, late subscribers, the wait for an id that arrives a
 * moment later, and 404 for one that never does.
 */
@TestPropertySource(properties = "imagegen.worker.token=progress-token")
class ProgressStreamTests extends NoBrowserWorker {

	private static final HttpClient HTTP = HttpClient.newHttpClient();

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private static final GenerationSpec SPEC = new GenerationSpec("a fox", "", 1, 7.0, Shape.SQUARE, ImageFormat.PNG);

	private static final UpstreamImage IMAGE = new UpstreamImage(new byte[] { 1 }, "image/jpeg", 768, 768, "id", 1, false);

	@Autowired
	private ProgressBoard board;

	@Test
	void theStreamCarriesEveryChangeAsProgressEventsAndEndsAfterTheTerminalOne() throws Exception {
		Job job = new Job(SPEC, "stream-1", Duration.ofSeconds(30));
		this.board.track(job);
		Stream stream = open("stream-1", "Bearer progress-token");
		await().until(() -> stream.data().size() == 1);

		job.start();
		job.phase(Phase.GENERATING);
		job.upstreamQueuePosition(4);
		job.phase(Phase.DOWNLOADING);
		job.succeed(IMAGE);

		HttpResponse<Void> response = stream.done().get();
		assertThat(response.statusCode()).isEqualTo(200);
		assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
				(ct) -> assertThat(ct).startsWith("text/event-stream"));
		assertThat(stream.lines()).filteredOn((line) -> line.startsWith("event:"))
			.hasSize(6)
			.allMatch((line) -> line.equals("event:progress"));
		assertThat(stream.data()).containsExactly(
				"{\"requestId\":\"stream-1\",\"phase\":\"queued\",\"queuePosition\":null,\"upstreamQueuePosition\":null}",
				"{\"requestId\":\"stream-1\",\"phase\":\"starting\",\"queuePosition\":null,\"upstreamQueuePosition\":null}",
				"{\"requestId\":\"stream-1\",\"phase\":\"generating\",\"queuePosition\":null,\"upstreamQueuePosition\":null}",
				"{\"requestId\":\"stream-1\",\"phase\":\"generating\",\"queuePosition\":null,\"upstreamQueuePosition\":4}",
				"{\"requestId\":\"stream-1\",\"phase\":\"downloading\",\"queuePosition\":null,\"upstreamQueuePosition\":null}",
				"{\"requestId\":\"stream-1\",\"phase\":\"done\",\"queuePosition\":null,\"upstreamQueuePosition\":null}");
	}

	@Test
	void aLateSubscriberGetsTheTerminalEventAtOnce() throws Exception {
		Job job = new Job(SPEC, "stream-late", Duration.ofSeconds(30));
		this.board.track(job);
		job.cancel();

		Stream stream = open("stream-late", "Bearer progress-token");

		assertThat(stream.done().get().statusCode()).isEqualTo(200);
		assertThat(stream.data()).hasSize(1);
		assertThat(JSON.readTree(stream.data().get(0)).path("phase").asString()).isEqualTo("failed");
	}

	@Test
	void aSubscriberMayComeAMomentBeforeTheJob() throws Exception {
		Stream stream = open("stream-early", "Bearer progress-token");
		Job job = new Job(SPEC, "stream-early", Duration.ofSeconds(30));
		this.board.track(job);
		await().until(() -> stream.data().size() == 1);

		job.fail(new IllegalStateException("upstream"));

		assertThat(stream.done().get().statusCode()).isEqualTo(200);
		assertThat(stream.data()).extracting((d) -> JSON.readTree(d).path("phase").asString())
			.containsExactly("queued", "failed");
	}

	@Test
	void anIdThatNeverArrivesIsAnUnknownRequestAfterTheWait() throws Exception {
		HttpResponse<String> response = HTTP.send(request("stream-never", "Bearer progress-token"),
				HttpResponse.BodyHandlers.ofString());

		assertThat(response.statusCode()).isEqualTo(404);
		assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
				(ct) -> assertThat(ct).startsWith("application/problem+json"));
		JsonNode problem = JSON.readTree(response.body());
		assertThat(problem.path("type").asString()).isEqualTo("https://imagegen.dev/problems/unknown-request");
		assertThat(problem.path("status").asInt()).isEqualTo(404);
	}

	@Test
	void theBearerTokenIsRequiredAsOnGenerate() throws Exception {
		this.board.track(new Job(SPEC, "stream-auth", Duration.ofSeconds(30)));

		for (String auth : new String[] { null, "Bearer wrong" }) {
			HttpResponse<String> response = HTTP.send(request("stream-auth", auth), HttpResponse.BodyHandlers.ofString());
			assertThat(response.statusCode()).isEqualTo(401);
			assertThat(JSON.readTree(response.body()).path("type").asString())
				.isEqualTo("https://imagegen.dev/problems/unauthorized");
			assertThat(response.headers().firstValue("WWW-Authenticate")).isPresent();
		}
	}

	private Stream open(String id, String auth) {
		List<String> lines = new CopyOnWriteArrayList<>();
		CompletableFuture<HttpResponse<Void>> done = HTTP.sendAsync(request(id, auth),
				HttpResponse.BodyHandlers.fromLineSubscriber(new java.util.concurrent.Flow.Subscriber<String>() {

					@Override
					public void onSubscribe(java.util.concurrent.Flow.Subscription subscription) {
						subscription.request(Long.MAX_VALUE);
					}

					@Override
					public void onNext(String item) {
						lines.add(item);
					}

					@Override
					public void onError(Throwable throwable) {
					}

					@Override
					public void onComplete() {
					}

				}));
		return new Stream(lines, done);
	}

	private HttpRequest request(String id, String auth) {
		HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + "/progress/" + id))
			.header("Accept", "text/event-stream")
			.timeout(Duration.ofSeconds(30));
		if (auth != null) {
			builder.header("Authorization", auth);
		}
		return builder.build();
	}

	/** The lines of one open stream and its end. */
	private record Stream(List<String> lines, CompletableFuture<HttpResponse<Void>> done) {

		List<String> data() {
			return this.lines.stream().filter((l) -> l.startsWith("data:")).map((l) -> l.substring(5)).toList();
		}

	}

}

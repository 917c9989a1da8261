package dev.imagegen.worker.redis;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import dev.imagegen.worker.generate.Generations;
import dev.imagegen.worker.job.GenerationSpec;
import dev.imagegen.worker.job.ImageFormat;
import dev.imagegen.worker.job.ProgressEvent;
import dev.imagegen.worker.job.Shape;
import dev.imagegen.worker.job.UpstreamImage;
import dev.imagegen.worker.problem.Problem;
import dev.imagegen.worker.problem.WorkerException;
import dev.imagegen.worker.problem.WorkerException.FieldError;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The result hash and channel messages exactly as docs/architecture.md ("The wire") fixes them, without Redis.
 */
class WireFormatTests {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private final WireFormat format = new WireFormat(JSON, "host-8081-abc123");

	@Test
	void anImageResultHasTheRawBytesTypeSeedAndWorker() {
		byte[] bytes = { (byte) 0x89, 'P', 'N', 'G', 0, 1, 2 };
		GenerationSpec spec = new GenerationSpec("a fox", "", 7, 7.0, Shape.SQUARE, ImageFormat.PNG);
		UpstreamImage upstream = new UpstreamImage(bytes, "image/jpeg", 768, 768, "id", 77, false);

		Map<String, byte[]> fields = this.format.imageResult(
				new Generations.Image(upstream, spec, bytes, Duration.ZERO, Duration.ofMillis(5)));

		assertThat(fields).containsOnlyKeys("status", "worker", "image", "contentType", "seed");
		assertThat(text(fields, "status")).isEqualTo("200");
		assertThat(text(fields, "worker")).isEqualTo("host-8081-abc123");
		assertThat(fields.get("image")).isSameAs(bytes);
		assertThat(text(fields, "contentType")).isEqualTo("image/png");
		assertThat(text(fields, "seed")).isEqualTo("77");
	}

	@Test
	void aProblemResultIsTheProblemJsonWithItsStatusAndRetryAfter() {
		WorkerException failure = new WorkerException(Problem.QUEUE_FULL, "All 16 queue places are taken",
				Duration.ofMillis(2300));

		Map<String, byte[]> fields = this.format.problemResult(failure, "req-1",
				"0af7651916cd43dd8448eb211c80319c");

		assertThat(fields).containsOnlyKeys("status", "worker", "problem", "retryAfter");
		assertThat(text(fields, "status")).isEqualTo("503");
		assertThat(text(fields, "retryAfter")).isEqualTo("3");
		JsonNode problem = JSON.readTree(fields.get("problem"));
		assertThat(problem.propertyNames()).containsExactly("type", "title", "status", "detail", "instance",
				"requestId", "traceId", "retryAfterSeconds");
		assertThat(problem.path("type").asString()).isEqualTo("https://imagegen.dev/problems/queue-full");
		assertThat(problem.path("title").asString()).isEqualTo("Queue full");
		assertThat(problem.path("status").asInt()).isEqualTo(503);
		assertThat(problem.path("detail").asString()).isEqualTo("All 16 queue places are taken");
		assertThat(problem.path("instance").asString()).isEqualTo("/generate");
		assertThat(problem.path("requestId").asString()).isEqualTo("req-1");
		assertThat(problem.path("traceId").asString()).isEqualTo("0af7651916cd43dd8448eb211c80319c");
		assertThat(problem.path("retryAfterSeconds").asLong()).isEqualTo(3);
	}

	@Test
	void aValidationProblemNamesItsFieldsAndHasNoRetryAfter() {
		WorkerException failure = new WorkerException(Problem.INVALID_REQUEST, "The request has 1 invalid field(s).",
				null, List.of(new FieldError("seed", "must be -1 or 0..2147483647")));

		Map<String, byte[]> fields = this.format.problemResult(failure, "req-2", null);

		assertThat(fields).doesNotContainKey("retryAfter");
		assertThat(text(fields, "status")).isEqualTo("400");
		JsonNode problem = JSON.readTree(fields.get("problem"));
		assertThat(problem.has("traceId")).isFalse();
		assertThat(problem.path("errors").get(0).path("parameter").asString()).isEqualTo("seed");
	}

	@Test
	void progressAndResultMessagesCarryTypeAndWorker() {
		JsonNode progress = JSON.readTree(this.format.progress(new ProgressEvent("req-3", "queued", 2, null)));
		assertThat(progress.propertyNames()).containsExactly("type", "requestId", "phase", "queuePosition",
				"upstreamQueuePosition", "worker");
		assertThat(progress.path("type").asString()).isEqualTo("progress");
		assertThat(progress.path("queuePosition").asInt()).isEqualTo(2);
		assertThat(progress.path("upstreamQueuePosition").isNull()).isTrue();
		assertThat(progress.path("worker").asString()).isEqualTo("host-8081-abc123");

		JsonNode result = JSON.readTree(this.format.result(504));
		assertThat(result.propertyNames()).containsExactly("type", "status", "worker");
		assertThat(result.path("type").asString()).isEqualTo("result");
		assertThat(result.path("status").asInt()).isEqualTo(504);
	}

	private static String text(Map<String, byte[]> fields, String name) {
		return new String(fields.get(name), StandardCharsets.UTF_8);
	}

}

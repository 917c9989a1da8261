package dev.imagegen.worker.observability;

import java.net.http.HttpResponse;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import org.junit.jupiter.api.Test;

import dev.imagegen.worker.support.WorkerTestBase;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.TestPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * One generation against the emulator with a caller's sampled {@code traceparent}: the worker's server span
 * and the job's steps (queue wait, upstream generate, download, encode) all belong to the caller's trace,
 * the steps under the request's span.
 */
@Import(JobTracingTests.CollectingExporter.class)
@TestPropertySource(properties = "management.opentelemetry.tracing.export.schedule-delay=50ms")
class JobTracingTests extends WorkerTestBase {

	static final String TRACE_ID = "5af7651916cd43dd8448eb211c80319d";

	@Autowired
	CollectingExporter exporter;

	@Test
	void theJobsStepsAreSpansOfTheCallersTrace() {
		HttpResponse<byte[]> response = generate(body("a traced harbour"), "traceparent",
				"00-" + TRACE_ID + "-b7ad6b7169203331-01");
		assertThat(response.statusCode()).as(() -> new String(response.body())).isEqualTo(200);

		List<String> expected = List.of("imagegen queue-wait", "imagegen upstream-generate",
				"imagegen upstream-download", "imagegen encode");
		await().untilAsserted(() -> assertThat(this.exporter.names(TRACE_ID)).as(this.exporter::describe)
			.containsAll(expected));
		SpanData server = this.exporter.spans(TRACE_ID)
			.stream()
			.filter((span) -> span.getParentSpanId().equals("b7ad6b7169203331"))
			.findFirst()
			.orElseThrow();
		assertThat(server.getName()).containsIgnoringCase("post");
		assertThat(this.exporter.spans(TRACE_ID))
			.filteredOn((span) -> expected.contains(span.getName()))
			.allSatisfy((span) -> assertThat(span.getParentSpanId()).isEqualTo(server.getSpanId()))
			.allSatisfy((span) -> assertThat(span.getAttributes().asMap().toString()).doesNotContain("harbour"));
	}

	/** Keeps every exported span in memory (itself the exporter bean that Boot adds to the span processor). */
	@TestConfiguration
	static class CollectingExporter implements SpanExporter {

		private final Collection<SpanData> spans = new ConcurrentLinkedQueue<>();

		List<SpanData> spans(String traceId) {
			return this.spans.stream().filter((span) -> span.getTraceId().equals(traceId)).toList();
		}

		String describe() {
			return this.spans.stream()
				.map((span) -> span.getTraceId() + "/" + span.getSpanId() + "<" + span.getParentSpanId() + " " + span.getName())
				.toList()
				.toString();
		}

		List<String> names(String traceId) {
			return spans(traceId).stream().map(SpanData::getName).toList();
		}

		@Override
		public CompletableResultCode export(Collection<SpanData> batch) {
			this.spans.addAll(batch);
			return CompletableResultCode.ofSuccess();
		}

		@Override
		public CompletableResultCode flush() {
			return CompletableResultCode.ofSuccess();
		}

		@Override
		public CompletableResultCode shutdown() {
			return CompletableResultCode.ofSuccess();
		}

	}

}

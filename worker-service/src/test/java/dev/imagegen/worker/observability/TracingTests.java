package dev.imagegen.worker.observability;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import dev.imagegen.worker.support.NoBrowserWorker;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A caller's W3C {@code traceparent} becomes the worker's trace: its id is in the problem body and on the
 * access line; a request without one gets a trace of its own. The access line never carries the body.
 */
@ExtendWith(OutputCaptureExtension.class)
class TracingTests extends NoBrowserWorker {

	static final String TRACE_ID = "0af7651916cd43dd8448eb211c80319c";

	static final String TRACEPARENT = "00-" + TRACE_ID + "-b7ad6b7169203331-01";

	private static final JsonMapper JSON = JsonMapper.builder().build();

	private final HttpClient http = HttpClient.newHttpClient();

	private HttpResponse<String> post(String body, String requestId, String traceparent) throws Exception {
		HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + this.port + "/generate"))
			.header("Content-Type", "application/json")
			.header("X-Request-Id", requestId)
			.POST(HttpRequest.BodyPublishers.ofString(body));
		if (traceparent != null) {
			request.header("traceparent", traceparent);
		}
		return this.http.send(request.build(), HttpResponse.BodyHandlers.ofString());
	}

	@Test
	void aReceivedTraceparentBecomesTheWorkersTrace(CapturedOutput output) throws Exception {
		HttpResponse<String> response = post("{\"prompt\":\"\"}", "traced-worker-1", TRACEPARENT);
		assertThat(response.statusCode()).isEqualTo(400);
		JsonNode problem = JSON.readTree(response.body());
		assertThat(problem.path("traceId").asString()).isEqualTo(TRACE_ID);
		await().untilAsserted(() -> assertThat(output.getOut()).containsPattern(Pattern.compile(
				"dev\\.imagegen\\.worker\\.access.*requestId=traced-worker-1 traceId=" + TRACE_ID
						+ " client=127\\.0\\.0\\.1 method=POST path=/generate status=400")));
	}

	@Test
	void aRequestWithoutTraceGetsItsOwn() throws Exception {
		HttpResponse<String> response = post("{\"prompt\":\"\"}", "traced-worker-2", null);
		assertThat(response.statusCode()).isEqualTo(400);
		String traceId = JSON.readTree(response.body()).path("traceId").asString();
		assertThat(traceId).matches("[0-9a-f]{32}").isNotEqualTo(TRACE_ID);
	}

	@Test
	void theAccessLineNeverCarriesThePrompt(CapturedOutput output) throws Exception {
		String prompt = "secret-worker-prompt-" + System.nanoTime();
		HttpResponse<String> response = post("{\"prompt\":\"" + prompt + "\",\"width\":\"wide\"}", "traced-worker-3",
				TRACEPARENT);
		assertThat(response.statusCode()).isEqualTo(400);
		await().untilAsserted(() -> assertThat(output.getOut()).contains("requestId=traced-worker-3"));
		assertThat(output.getOut()).doesNotContain(prompt);
	}

}

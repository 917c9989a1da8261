package dev.imagegen.worker.redis;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.imagegen.worker.problem.Problem;
import dev.imagegen.worker.problem.WorkerException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Reading a work-stream entry's fields as the API writes them, and what is done with broken ones.
 */
class StreamEntryTests {

	@Test
	void theFieldsOfTheWireAreRead() {
		StreamEntry entry = StreamEntry.of("1-0", fields("gen", "0f3a0f3a0f3a0f3a0f3a0f3a0f3a0f3a", "requestId", "req-9",
				"request", "{\"prompt\":\"x\"}", "deadline", "1000", "submittedAt", "900", "traceparent",
				"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"));

		assertThat(entry.id()).isEqualTo("1-0");
		assertThat(entry.gen()).isEqualTo("0f3a0f3a0f3a0f3a0f3a0f3a0f3a0f3a");
		assertThat(entry.requestId()).isEqualTo("req-9");
		assertThat(new String(entry.request(), StandardCharsets.UTF_8)).isEqualTo("{\"prompt\":\"x\"}");
		assertThat(entry.remaining(400).toMillis()).isEqualTo(600);
		assertThat(entry.remaining(1000)).isZero();
		assertThat(entry.traceId()).isEqualTo("0af7651916cd43dd8448eb211c80319c");
	}

	@Test
	void unsafeOrMissingValuesAreReplacedOrRefused() {
		StreamEntry entry = StreamEntry.of("2-0", fields("gen", "a:b*", "requestId", "bad id\r\n", "deadline", "soon",
				"traceparent", "not-a-traceparent"));

		assertThat(entry.gen()).as("a gen that would break key names").isNull();
		assertThat(entry.requestId()).as("a fresh id, as over HTTP").matches("[0-9a-f-]{36}");
		assertThat(entry.traceId()).isNull();
		WorkerException invalid = catchThrowableOfType(WorkerException.class, () -> entry.remaining(0));
		assertThat(invalid.problem()).isEqualTo(Problem.INVALID_REQUEST);
		assertThat(invalid.errors()).extracting(WorkerException.FieldError::parameter).containsExactly("deadline");
	}

	private static Map<String, byte[]> fields(String... pairs) {
		Map<String, byte[]> fields = new HashMap<>();
		for (int i = 0; i < pairs.length; i += 2) {
			fields.put(pairs[i], pairs[i + 1].getBytes(StandardCharsets.UTF_8));
		}
		return fields;
	}

}

package dev.imagegen.worker.generate;

import java.time.Duration;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import dev.imagegen.worker.problem.WorkerException;
import dev.imagegen.worker.support.NoBrowserWorker;
import dev.imagegen.worker.support.RawHttp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * {@code X-Deadline-Ms}: the smaller of it and {@code GENERATION_TIMEOUT} is the job's deadline; a value that
 * is not a positive whole number of milliseconds is a 400 naming the header.
 */
class DeadlineHeaderTests extends NoBrowserWorker {

	private static final JsonMapper JSON = JsonMapper.builder().build();

	@ParameterizedTest
	@ValueSource(strings = { "abc", "0", "-5", "1.5", "1e3", "99999999999", "", "12 34" })
	void anInvalidDeadlineIsA400NamingTheHeader(String value) {
		String body = "{\"prompt\":\"a fox\"}";
		RawHttp.Response response = RawHttp.exchange(this.port, "POST /generate HTTP/1.1\r\nHost: localhost\r\n"
				+ "Content-Type: application/json\r\nX-Deadline-Ms: " + value + "\r\nContent-Length: " + body.length()
				+ "\r\nConnection: close\r\n\r\n" + body);

		assertThat(response.status()).as(response.body()).isEqualTo(400);
		JsonNode problem = JSON.readTree(response.body());
		assertThat(problem.path("type").asString()).endsWith("/invalid-request");
		assertThat(problem.path("errors").get(0).path("parameter").asString()).isEqualTo("X-Deadline-Ms");
	}

	@Test
	void aValidDeadlinePassesValidation() {
		String body = "{\"prompt\":\"a fox\"}";
		RawHttp.Response response = RawHttp.exchange(this.port, "POST /generate HTTP/1.1\r\nHost: localhost\r\n"
				+ "Content-Type: application/json\r\nX-Deadline-Ms: 5000\r\nContent-Length: " + body.length()
				+ "\r\nConnection: close\r\n\r\n" + body);

		// No browser here: past validation the job is refused for want of a session, not for its header.
		assertThat(response.status()).isEqualTo(503);
	}

	@Test
	void theSmallerOfCallerAndWorkerLimitWins() {
		Duration limit = Duration.ofSeconds(120);

		assertThat(Deadlines.of(null, limit)).isEqualTo(limit);
		assertThat(Deadlines.of("1500", limit)).isEqualTo(Duration.ofMillis(1500));
		assertThat(Deadlines.of(" 300000 ", limit)).isEqualTo(limit);
		assertThat(catchThrowableOfType(WorkerException.class, () -> Deadlines.of("0", limit)).errors())
			.extracting(WorkerException.FieldError::parameter)
			.containsExactly("X-Deadline-Ms");
	}

}

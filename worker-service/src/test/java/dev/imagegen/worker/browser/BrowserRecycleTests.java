package dev.imagegen.worker.browser;

import java.util.List;

import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.TestPropertySource;

import dev.imagegen.worker.support.Emulator;
import dev.imagegen.worker.support.WorkerTestBase;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A session relaunches its browser every {@code recycle-after} jobs, between two jobs, and keeps its profile:
 * no job fails and Perchance sees the same user key throughout.
 */
@TestPropertySource(properties = { "imagegen.test.context=recycle", "imagegen.worker.browser.recycle-after=2" })
@DirtiesContext
class BrowserRecycleTests extends WorkerTestBase {

	@Autowired
	private MeterRegistry registry;

	@Test
	void theBrowserIsRelaunchedEveryFewJobsWithoutLosingAJobOrTheKey() {
		for (int i = 0; i < 5; i++) {
			int n = i;
			var response = generate(body("recycled " + n));
			assertThat(response.statusCode()).as(() -> "job " + n + ": " + new String(response.body())).isEqualTo(200);
		}

		assertThat(recycles()).isGreaterThanOrEqualTo(2);
		assertThat(this.registry.find("imagegen.worker.browser.restarts").tag("reason", "failure").counters())
			.allSatisfy((c) -> assertThat(c.count()).isZero());
		List<JsonNode> successes = Emulator.log("/api/generate", (e) -> "success".equals(e.path("outcome").asString()));
		assertThat(successes).hasSize(5);
		assertThat(successes.stream().map((e) -> e.path("userKey").asString()).distinct()).hasSize(1);
	}

	private double recycles() {
		return this.registry.find("imagegen.worker.browser.restarts")
			.tag("reason", "recycle")
			.counters()
			.stream()
			.mapToDouble((c) -> c.count())
			.sum();
	}

}

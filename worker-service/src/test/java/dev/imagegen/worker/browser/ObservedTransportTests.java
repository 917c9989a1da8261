package dev.imagegen.worker.browser;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.imagegen.worker.job.JobTrace;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Which upstream call is which step of a job's trace, by path only.
 */
class ObservedTransportTests {

	@Test
	void stepsAreChosenByPath() {
		assertThat(ObservedTransport.step("http://127.0.0.1:9/api/verifyUser?thread=0&__cacheBust=0.5", false))
			.isEqualTo("key-verify");
		assertThat(ObservedTransport.step(
				"https://image-generation.perchance.org/api/generate?userKey=a%20b&requestId=0.1&adAccessCode=&x=|{}", false))
			.isEqualTo("upstream-generate");
		assertThat(ObservedTransport.step("http://h/api/awaitExistingGenerationRequest?userKey=k", false))
			.isEqualTo("upstream-await");
		assertThat(ObservedTransport.step("http://h/anything?imageId=1", true)).isEqualTo("upstream-download");
		assertThat(ObservedTransport.step("http://h/api/getAccessCodeForAdPoweredStuff?x=1", false)).isNull();
		assertThat(ObservedTransport.path("http://h:1/a/b?c=/d#e")).isEqualTo("/a/b");
		assertThat(ObservedTransport.path("http://h")).isEmpty();
	}

	@Test
	void theGenerateCallKeepsItsQueuePositionPoll() {
		List<Transport.Poll> polls = new ArrayList<>();
		Transport delegate = new Transport() {
			@Override
			public UpstreamResponse send(String method, String url, String body, boolean binary, Duration timeout) {
				throw new AssertionError("the overload without the poll was called: the poll would be lost");
			}

			@Override
			public UpstreamResponse send(String method, String url, String body, boolean binary, Duration timeout,
					Poll poll) {
				polls.add(poll);
				return null;
			}
		};
		Transport.Poll poll = new Transport.Poll("http://h/api/getUserQueuePosition?userKey=k", Duration.ofSeconds(1),
				Duration.ofSeconds(5), (answer) -> {
				});
		Transport observed = new ObservedTransport(delegate, () -> JobTrace.NONE);

		observed.send("POST", "http://h/api/generate?userKey=k", "{}", false, Duration.ofSeconds(10), poll);
		observed.send("GET", "http://h/api/getAccessCodeForAdPoweredStuff", null, false, Duration.ofSeconds(10), poll);

		assertThat(polls).containsExactly(poll, poll);
	}

}

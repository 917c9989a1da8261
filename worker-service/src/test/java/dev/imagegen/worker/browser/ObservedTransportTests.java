package dev.imagegen.worker.browser;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.ObservationRegistry;
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

	@Test
	void aGenerateCallThatDownloadsIsTwoStepsSplitWhenTheDownloadStarts() {
		List<String> events = new ArrayList<>();
		ObservationRegistry registry = ObservationRegistry.create();
		registry.observationConfig().observationHandler(new ObservationHandler<>() {
			@Override
			public boolean supportsContext(Observation.Context context) {
				return true;
			}

			@Override
			public void onStart(Observation.Context context) {
				events.add("start " + context.getLowCardinalityKeyValue("step").getValue());
			}

			@Override
			public void onStop(Observation.Context context) {
				events.add("stop " + context.getLowCardinalityKeyValue("step").getValue());
			}
		});
		Transport delegate = new Transport() {
			@Override
			public UpstreamResponse send(String method, String url, String body, boolean binary, Duration timeout) {
				throw new AssertionError("the generate call was sent without its prefetch");
			}

			@Override
			public Generated generate(String url, String body, Duration timeout, Poll poll, Prefetch prefetch) {
				events.add("generate answered");
				prefetch.started().run();
				events.add("downloaded");
				return new Generated(new UpstreamResponse(200, "application/json", "{}", null, null), "/d",
						new UpstreamResponse(200, "image/jpeg", null, new byte[] { 1 }, null));
			}
		};
		Transport observed = new ObservedTransport(delegate, () -> JobTrace.of(registry));

		Transport.Generated generated = observed.generate("http://h/api/generate?userKey=k", "{}", Duration.ofSeconds(10),
				null, new Transport.Prefetch("http://h", Duration.ofSeconds(5), Duration.ofSeconds(10),
						() -> events.add("caller told")));

		assertThat(generated.downloadPath()).isEqualTo("/d");
		assertThat(events).containsExactly("start upstream-generate", "generate answered", "stop upstream-generate",
				"start upstream-download", "caller told", "downloaded", "stop upstream-download");
	}

	@Test
	void aGenerateCallThatDownloadsNothingIsOneStep() {
		List<String> steps = new ArrayList<>();
		ObservationRegistry registry = ObservationRegistry.create();
		registry.observationConfig().observationHandler(new ObservationHandler<>() {
			@Override
			public boolean supportsContext(Observation.Context context) {
				return true;
			}

			@Override
			public void onStop(Observation.Context context) {
				steps.add(context.getLowCardinalityKeyValue("step").getValue());
			}
		});
		Transport delegate = (method, url, body, binary, timeout) -> new UpstreamResponse(200, "application/json",
				"{\"status\":\"gen_failure\"}", null, null);
		Transport observed = new ObservedTransport(delegate, () -> JobTrace.of(registry));

		Transport.Generated generated = observed.generate("http://h/api/generate?userKey=k", "{}", Duration.ofSeconds(10),
				null, new Transport.Prefetch("http://h", Duration.ofSeconds(5), Duration.ofSeconds(10), () -> {
				}));

		assertThat(generated.download()).isNull();
		assertThat(steps).containsExactly("upstream-generate");
	}

}

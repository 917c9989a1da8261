package dev.imagegen.worker.browser;

import org.junit.jupiter.api.Test;

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

}

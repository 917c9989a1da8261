package dev.imagegen.api;

import com.github.tomakehurst.wiremock.WireMockServer;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

/**
 * A WireMock worker of one test class's own (unlike the shared {@link WorkerStub}): slow calls other classes
 * leave behind cannot delay it, and its request journal counts only this class's calls.
 */
public final class PrivateWorker {

	private PrivateWorker() {
	}

	/**
	 * @return a started server on a random loopback port; the class stops it after its tests
	 */
	public static WireMockServer start() {
		WireMockServer server = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1").containerThreads(40));
		server.start();
		return server;
	}

	/**
	 * Forgets earlier stubs and calls, then answers every generation with the test PNG.
	 * @param server the worker
	 * @param delayMs how long each answer takes
	 */
	public static void answerWithImage(WireMockServer server, int delayMs) {
		server.resetAll();
		server.stubFor(post(urlEqualTo("/generate")).willReturn(aResponse().withStatus(200)
			.withHeader("Content-Type", "image/png")
			.withHeader("X-Seed", "42")
			.withBody(ImageFixtures.png())
			.withFixedDelay(delayMs)));
	}

}

package dev.imagegen.api;

import com.github.tomakehurst.wiremock.WireMockServer;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

/**
 * One WireMock server playing the worker for every test class that shares the main Spring context
 * (the context is cached across classes, so its worker URL must stay the same). JUnit stops the server
 * when the whole test run ends, through the root store.
 */
public final class WorkerStub implements BeforeAllCallback {

	private static WireMockServer server;

	/**
	 * The shared server, started on a random loopback port on first use.
	 * @return the server
	 */
	public static synchronized WireMockServer server() {
		if (server == null) {
			server = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1").containerThreads(20));
			server.start();
		}
		return server;
	}

	@Override
	public void beforeAll(ExtensionContext context) {
		WireMockServer started = server();
		context.getRoot()
			.getStore(ExtensionContext.Namespace.create(WorkerStub.class))
			.computeIfAbsent("server", (key) -> (AutoCloseable) () -> stop(started), AutoCloseable.class);
	}

	private static synchronized void stop(WireMockServer started) {
		started.stop();
		if (server == started) {
			server = null;
		}
	}

}

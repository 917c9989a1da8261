package dev.imagegen.api;

import com.github.tomakehurst.wiremock.WireMockServer;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

/**
 * Two WireMock workers on local ports for tests that balance or probe several workers: started once
 * per test class, emptied before each test. Register it as a static {@code @RegisterExtension} field.
 */
public final class TwoWorkers implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback {

	private final WireMockServer first = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));

	private final WireMockServer second = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));

	/**
	 * The first worker.
	 * @return its WireMock server
	 */
	public WireMockServer first() {
		return this.first;
	}

	/**
	 * The second worker.
	 * @return its WireMock server
	 */
	public WireMockServer second() {
		return this.second;
	}

	@Override
	public void beforeAll(ExtensionContext context) {
		this.first.start();
		this.second.start();
	}

	@Override
	public void afterAll(ExtensionContext context) {
		this.first.stop();
		this.second.stop();
	}

	@Override
	public void beforeEach(ExtensionContext context) {
		this.first.resetAll();
		this.second.resetAll();
	}

}

package dev.imagegen.worker.support;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Base of HTTP-level tests that need the real server but no browser: the browser path does not exist, so the
 * sessions fail quickly while Tomcat, filters and the actuator answer as in production.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
public abstract class NoBrowserWorker {

	@LocalServerPort
	protected int port;

	@DynamicPropertySource
	static void noBrowser(DynamicPropertyRegistry registry) {
		registry.add("imagegen.worker.perchance.base-url", () -> "http://127.0.0.1:9");
		registry.add("imagegen.worker.perchance.site-url", () -> "http://127.0.0.1:9");
		registry.add("imagegen.worker.browser.engine", () -> "chromium");
		registry.add("imagegen.worker.browser.executable-path", () -> "/nonexistent/chromium");
		registry.add("imagegen.worker.browser.profile-dir",
				() -> WorkerTestBase.createTempDir("no-browser-http").toString());
		registry.add("imagegen.worker.browser.relaunch-backoff-min", () -> "5s");
		registry.add("imagegen.worker.http.header-timeout", () -> "1s");
		registry.add("imagegen.worker.http.idle-timeout", () -> "1500ms");
	}

}

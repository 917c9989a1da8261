package dev.imagegen.api.clients;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import com.github.tomakehurst.wiremock.WireMockServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.imagegen.api.PrivateWorker;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;


/**
 * {@code REQUIRE_API_KEY=true}: no key is a 401 on the API routes, while the page and the health endpoints,
 * which take no key, stay open.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
		properties = { "WORKER_TOKEN=test-token", "WORKER_TIMEOUT=5s", "REQUIRE_API_KEY=true" })
@AutoConfigureWebTestClient(timeout = "20s")
class RequiredApiKeyTests {

	static final WireMockServer WORKER = PrivateWorker.start();

	@AfterAll
	static void stopWorker() {
		WORKER.stop();
	}

	static final String KEY = "dave-key-0123456789abcdef";

	@Autowired
	WebTestClient client;

	@DynamicPropertySource
	static void properties(DynamicPropertyRegistry registry) {
		registry.add("PERCHANCE_WORKER_URL", () -> WORKER.baseUrl());
		registry.add("API_KEYS_FILE", RequiredApiKeyTests::keysFile);
	}

	private static String keysFile() {
		try {
			Path file = Files.createTempFile("imagegen-required-keys", ".json");
			Files.writeString(file, "{\"keys\":[{\"name\":\"dave\",\"key\":\"" + KEY + "\"}]}");
			file.toFile().deleteOnExit();
			return file.toString();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	@BeforeEach
	void workerAnswersWithAnImage() {
		PrivateWorker.answerWithImage(WORKER, 0);
	}

	@Test
	void aMissingKeyIsRefusedAndAValidOneServed() {
		this.client.get()
			.uri("/generate?prompt=fox")
			.exchange()
			.expectStatus()
			.isUnauthorized()
			.expectHeader()
			.valueEquals("WWW-Authenticate", "Bearer realm=\"imagegen\"")
			.expectBody()
			.jsonPath("$.title")
			.isEqualTo("API key required");
		this.client.get().uri("/generate?prompt=fox").header("X-API-Key", KEY).exchange().expectStatus().isOk();
	}

	@Test
	void theHealthEndpointsNeedNoKey() {
		// The stub worker has no /health, so /health says DOWN: what matters is that it answers, not 401.
		this.client.get().uri("/health").exchange().expectStatus().isEqualTo(503);
		this.client.get().uri("/livez").exchange().expectStatus().isOk();
		this.client.get().uri("/").exchange().expectStatus().isOk();
	}

}

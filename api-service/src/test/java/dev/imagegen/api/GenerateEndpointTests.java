package dev.imagegen.api;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.webflux.actuate.endpoint.web.AbstractWebFluxEndpointHandlerMapping;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.web.reactive.DispatcherHandler;
import org.springframework.web.reactive.HandlerMapping;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The happy path of {@code /generate} against a WireMock worker: what is sent to the worker, and the
 * headers, seed, caching and ETag behaviour of the answer.
 */
class GenerateEndpointTests extends SharedContextTests {

	private final JsonMapper json = JsonMapper.builder().build();

	private static void workerAnswers(byte[] image, String contentType, String seed) {
		worker().stubFor(post(urlEqualTo("/generate")).willReturn(aResponse().withStatus(200)
			.withHeader("Content-Type", contentType)
			.withHeader("X-Seed", seed)
			.withBody(image)));
	}

	/** The headers of a {@code 200} to a GET of this URI. */
	private HttpHeaders okHeaders(String uri) {
		return this.client.get().uri(uri).exchange().expectStatus().isOk().returnResult(byte[].class).getResponseHeaders();
	}

	private LoggedRequest onlyWorkerCall() {
		List<LoggedRequest> calls = generateCalls();
		assertThat(calls).hasSize(1);
		return calls.get(0);
	}

	@Test
	void getWithFixedSeedForwardsTheContractBodyAndReturnsACacheableImage() {
		byte[] png = ImageFixtures.png();
		workerAnswers(png, "image/png", "42");
		EntityExchangeResult<byte[]> result = this.client.get()
			.uri("/generate?prompt=+a+red+fox+&shape=PORTRAIT&seed=42&guidance_scale=9.5&negative_prompt=blur")
			.header("X-Request-Id", "caller-id-1")
			.exchange()
			.expectStatus()
			.isOk()
			.expectBody(byte[].class)
			.returnResult();
		HttpHeaders headers = result.getResponseHeaders();
		assertThat(result.getResponseBody()).isEqualTo(png);
		assertThat(headers.getContentType()).isEqualTo(MediaType.IMAGE_PNG);
		assertThat(headers.getContentLength()).isEqualTo(png.length);
		assertThat(headers.getFirst("X-Seed")).isEqualTo("42");
		assertThat(headers.getFirst("X-Request-Id")).isEqualTo("caller-id-1");
		assertThat(headers.getCacheControl()).isEqualTo("public, max-age=31536000, immutable");
		assertThat(headers.getETag()).matches("\"[0-9a-f]{32}\"");
		assertThat(headers.getFirst(HttpHeaders.CONTENT_DISPOSITION)).matches("inline; filename=\"imagegen-[0-9a-f]{12}-42\\.png\"");

		LoggedRequest call = onlyWorkerCall();
		assertThat(call.getHeader("Authorization")).isEqualTo("Bearer test-token");
		assertThat(call.getHeader("X-Request-Id")).isEqualTo("caller-id-1");
		// WORKER_TIMEOUT=3s in these tests, less the 2 s the answer needs to come back: the worker gets 1 s.
		assertThat(call.getHeader("X-Deadline-Ms")).isEqualTo("1000");
		assertThat(call.getHeader("Content-Type")).startsWith("application/json");
		JsonNode body = this.json.readTree(call.getBody());
		assertThat(body.propertyNames()).containsExactly("prompt", "negative_prompt", "seed", "guidance_scale", "shape",
				"format");
		assertThat(body.get("prompt").stringValue()).isEqualTo("a red fox");
		assertThat(body.get("negative_prompt").stringValue()).isEqualTo("blur");
		assertThat(body.get("seed").longValue()).isEqualTo(42);
		assertThat(body.get("guidance_scale").doubleValue()).isEqualTo(9.5);
		assertThat(body.get("shape").stringValue()).isEqualTo("portrait");
		assertThat(body.get("format").stringValue()).isEqualTo("png");
	}

	@Test
	void randomSeedIsChosenByTheApiSentExplicitlyAndReportedWithoutCaching() {
		workerAnswers(ImageFixtures.jpeg(), "image/jpeg", "");
		worker().stubFor(post(urlEqualTo("/generate")).willReturn(
				aResponse().withStatus(200).withHeader("Content-Type", "image/jpeg").withBody(ImageFixtures.jpeg())));
		EntityExchangeResult<byte[]> result = this.client.get()
			.uri("/generate?prompt=fox&format=JPEG")
			.exchange()
			.expectStatus()
			.isOk()
			.expectBody(byte[].class)
			.returnResult();
		HttpHeaders headers = result.getResponseHeaders();
		assertThat(headers.getContentType()).isEqualTo(MediaType.IMAGE_JPEG);
		assertThat(headers.getCacheControl()).isEqualTo("no-store");
		assertThat(headers.getETag()).isNull();
		assertThat(headers.getFirst("X-Request-Id")).isNotBlank();
		JsonNode body = this.json.readTree(onlyWorkerCall().getBody());
		long sent = body.get("seed").longValue();
		assertThat(sent).isBetween(0L, 2147483647L);
		assertThat(headers.getFirst("X-Seed")).isEqualTo(Long.toString(sent));
		assertThat(body.get("format").stringValue()).isEqualTo("jpeg");
		assertThat(body.get("shape").stringValue()).isEqualTo("square");
		assertThat(body.get("guidance_scale").doubleValue()).isEqualTo(7.0);
		assertThat(body.get("negative_prompt").stringValue()).isEmpty();
	}

	@Test
	void theSeedTheWorkerReportsIsTheOneReturned() {
		workerAnswers(ImageFixtures.png(), "image/png", "123456");
		this.client.get()
			.uri("/generate?prompt=fox")
			.exchange()
			.expectStatus()
			.isOk()
			.expectHeader()
			.valueEquals("X-Seed", "123456");
	}

	@Test
	void postJsonBehavesLikeGet() {
		byte[] png = ImageFixtures.png();
		workerAnswers(png, "image/png", "7");
		String getEtag = this.client.get()
			.uri("/generate?prompt=owl&seed=7&shape=landscape")
			.exchange()
			.expectStatus()
			.isOk()
			.returnResult(byte[].class)
			.getResponseHeaders()
			.getETag();
		byte[] getBody = this.json.readTree(onlyWorkerCall().getBody()).toString().getBytes();
		worker().resetRequests();
		EntityExchangeResult<byte[]> post = this.client.post()
			.uri("/generate")
			.contentType(MediaType.APPLICATION_JSON)
			.bodyValue(Map.of("prompt", "owl", "seed", 7, "shape", "Landscape"))
			.exchange()
			.expectStatus()
			.isOk()
			.expectBody(byte[].class)
			.returnResult();
		assertThat(post.getResponseBody()).isEqualTo(png);
		assertThat(post.getResponseHeaders().getETag()).isEqualTo(getEtag);
		assertThat(post.getResponseHeaders().getCacheControl()).isEqualTo("public, max-age=31536000, immutable");
		assertThat(this.json.readTree(onlyWorkerCall().getBody()).toString().getBytes()).isEqualTo(getBody);
	}

	@Test
	void matchingIfNoneMatchGets304WithoutCallingTheWorker() {
		workerAnswers(ImageFixtures.png(), "image/png", "5");
		String etag = okHeaders("/generate?prompt=cat&seed=5").getETag();
		worker().resetRequests();
		for (String ifNoneMatch : List.of(etag, "W/" + etag, "\"other\", " + etag, "*")) {
			this.client.get()
				.uri("/generate?prompt=+cat&seed=5&shape=SQUARE&format=png&guidance_scale=7")
				.header(HttpHeaders.IF_NONE_MATCH, ifNoneMatch)
				.exchange()
				.expectStatus()
				.isNotModified()
				.expectHeader()
				.valueEquals(HttpHeaders.ETAG, etag)
				.expectHeader()
				.valueEquals(HttpHeaders.CACHE_CONTROL, "public, max-age=31536000, immutable")
				.expectHeader()
				.exists("X-Request-Id");
		}
		assertThat(generateCalls()).isEmpty();
	}

	@Test
	void aDifferentRequestOrAStaleEtagIsGeneratedAgain() {
		workerAnswers(ImageFixtures.png(), "image/png", "5");
		String etag = this.client.get()
			.uri("/generate?prompt=cat&seed=5")
			.exchange()
			.returnResult(byte[].class)
			.getResponseHeaders()
			.getETag();
		String otherSeed = this.client.get()
			.uri("/generate?prompt=cat&seed=6")
			.header(HttpHeaders.IF_NONE_MATCH, etag)
			.exchange()
			.expectStatus()
			.isOk()
			.returnResult(byte[].class)
			.getResponseHeaders()
			.getETag();
		assertThat(otherSeed).isNotEqualTo(etag);
		this.client.get()
			.uri("/generate?prompt=cat")
			.header(HttpHeaders.IF_NONE_MATCH, "*")
			.exchange()
			.expectStatus()
			.isOk()
			.expectHeader()
			.doesNotExist(HttpHeaders.ETAG);
		assertThat(generateCalls()).hasSize(3)
			.allSatisfy((call) -> assertThat(call.getHeader("Authorization")).isEqualTo("Bearer test-token"));
	}

	@Test
	void imagesOfSeveralMegabytesPassThroughIntact() {
		byte[] png = ImageFixtures.png();
		byte[] large = java.util.Arrays.copyOf(png, 3 * 1024 * 1024);
		for (int i = png.length; i < large.length; i++) {
			large[i] = (byte) (i * 31);
		}
		workerAnswers(large, "image/png", "9");
		byte[] body = this.client.mutate()
			.codecs((codecs) -> codecs.defaultCodecs().maxInMemorySize(8 * 1024 * 1024))
			.build()
			.get()
			.uri("/generate?prompt=big&seed=9")
			.exchange()
			.expectStatus()
			.isOk()
			.expectHeader()
			.contentLength(large.length)
			.expectBody(byte[].class)
			.returnResult()
			.getResponseBody();
		assertThat(body).isEqualTo(large);
	}

	@Test
	void aRequestWithoutAnIdGetsARandomUuidSentToTheWorkerAndNewPerRequest() {
		workerAnswers(ImageFixtures.png(), "image/png", "3");
		String requestId = okHeaders("/generate?prompt=owl&seed=3").getFirst("X-Request-Id");
		assertThat(requestId).isNotNull();
		UUID made = UUID.fromString(requestId);
		assertThat(made.version()).isEqualTo(4);
		assertThat(made.variant()).isEqualTo(2);
		assertThat(onlyWorkerCall().getHeader("X-Request-Id")).isEqualTo(requestId);
		assertThat(this.client.get().uri("/livez").exchange().returnResult(Void.class).getResponseHeaders()
			.getFirst("X-Request-Id")).isNotEqualTo(requestId);
	}

	@Test
	void insaneRequestIdsAreReplaced() {
		workerAnswers(ImageFixtures.png(), "image/png", "1");
		String id = this.client.get()
			.uri("/generate?prompt=cat&seed=1")
			.header("X-Request-Id", "bad id with spaces and \u00e9")
			.exchange()
			.expectStatus()
			.isOk()
			.returnResult(byte[].class)
			.getResponseHeaders()
			.getFirst("X-Request-Id");
		assertThat(id).matches("[A-Za-z0-9._-]{1,64}").doesNotContain("bad");
		assertThat(onlyWorkerCall().getHeader("X-Request-Id")).isEqualTo(id);
	}

	@Test
	void getGenerateIsMappedBeforeTheActuatorsMappings(@Autowired DispatcherHandler dispatcher) {
		// GET /generate must not pay for the actuator's annotated mappings first (generate.GenerateRoute).
		List<HandlerMapping> mappings = dispatcher.getHandlerMappings();
		assertThat(mappings).isNotNull().anyMatch(AbstractWebFluxEndpointHandlerMapping.class::isInstance);
		HandlerMapping first = mappings.get(0);
		assertThat(first.getHandler(MockServerWebExchange.from(MockServerHttpRequest.get("/generate?prompt=x")))
			.block()).isNotNull();
		assertThat(first.getHandler(MockServerWebExchange.from(MockServerHttpRequest.head("/generate"))).block())
			.isNull();
		assertThat(first.getHandler(MockServerWebExchange.from(MockServerHttpRequest.get("/generate/x"))).block())
			.isNull();
	}

}

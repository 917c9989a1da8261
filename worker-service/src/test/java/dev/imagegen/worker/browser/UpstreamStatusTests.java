package dev.imagegen.worker.browser;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;

import dev.imagegen.worker.support.Emulator;
import dev.imagegen.worker.support.WorkerTestBase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Every status and fault of the protocol document, and the worker's reaction to each.
 */
class UpstreamStatusTests extends WorkerTestBase {

	private static Map<String, Object> statusFault(String endpoint, String status, int count) {
		return Map.of("endpoint", endpoint, "kind", "status", "status", status, "count", count);
	}

	private static Map<String, Object> fault(String endpoint, String kind, int count) {
		return Map.of("endpoint", endpoint, "kind", kind, "count", count);
	}

	@Test
	void waitingForPreviousRequestAwaitsThenRepostsWithANewRequestId() {
		Emulator.fault(statusFault("generate", "waiting_for_prev_request_to_finish", 2));

		HttpResponse<byte[]> response = generate(body("waiting prompt"));

		assertThat(response.statusCode()).isEqualTo(200);
		List<JsonNode> posts = Emulator.log("/api/generate");
		assertThat(posts).hasSizeGreaterThanOrEqualTo(3);
		List<String> requestIds = posts.stream().map((p) -> p.path("query").path("requestId").asString()).toList();
		assertThat(new HashSet<>(requestIds)).hasSize(requestIds.size());
		assertThat(Emulator.log("/api/awaitExistingGenerationRequest")).hasSize(2);
	}

	@Test
	void waitingForeverIsCapped() {
		Emulator.fault(statusFault("generate", "waiting_for_prev_request_to_finish", 20));

		assertProblem(generate(body("always waiting")), 502, "upstream-failure");
		// 1 POST + 5 re-POSTs (the configured cap), not twenty.
		assertThat(Emulator.log("/api/generate", (e) -> !"invalid_key".equals(e.path("outcome").asString())))
			.hasSize(6);
	}

	@ParameterizedTest
	@ValueSource(strings = { "invalid_key", "failed_verification", "not_logged_in" })
	void aRejectedKeyIsVerifiedAgainOnce(String status) {
		generate(body("warm the key"));
		Emulator.fault(statusFault("generate", status, 1));
		int verifiesBefore = Emulator.log("/api/verifyUser").size();

		HttpResponse<byte[]> response = generate(body("after " + status));

		assertThat(response.statusCode()).isEqualTo(200);
		assertThat(Emulator.log("/api/verifyUser")).hasSize(verifiesBefore + 1);
	}

	@Test
	void aKeyRejectedTwiceFails() {
		generate(body("warm the key"));
		Emulator.fault(statusFault("generate", "invalid_key", 2));

		assertProblem(generate(body("rejected twice")), 502, "upstream-failure");
		assertThat(Emulator.log("/api/generate", Emulator.prompt("rejected twice"))).hasSize(2);
	}

	@Test
	void expiredKeysAreReplaced() {
		generate(body("warm the key"));
		Emulator.expireKeys();

		assertThat(generate(body("after expiry")).statusCode()).isEqualTo(200);
		List<JsonNode> posts = Emulator.log("/api/generate", Emulator.prompt("after expiry"));
		assertThat(posts).hasSize(2);
		assertThat(posts.get(0).path("outcome").asString()).isEqualTo("invalid_key");
		assertThat(posts.get(1).path("userKey").asString()).isNotEqualTo(posts.get(0).path("userKey").asString());
	}

	@ParameterizedTest
	@ValueSource(strings = { "http-500", "connection-reset", "non-json" })
	void aTransientVerifyUserFailureDuringAJobIsRetried(String kind) {
		generate(body("warm the key"));
		Emulator.expireKeys();
		Emulator.fault(fault("verifyUser", kind, 1));

		HttpResponse<byte[]> response = generate(body("verify after " + kind));

		assertThat(response.statusCode()).as(() -> new String(response.body())).isEqualTo(200);
		assertThat(Emulator.log("/api/verifyUser")).hasSizeGreaterThanOrEqualTo(2);
	}

	@Test
	void verifyUserFailingBeyondTheRetryBudgetIsAnUpstreamFailureWithoutInternals() {
		generate(body("warm the key"));
		Emulator.expireKeys();
		// One attempt plus the three retries of the job's budget fail; a fifth would have succeeded.
		Emulator.fault(fault("verifyUser", "http-500", 4));

		JsonNode problem = assertProblem(generate(body("verify keeps failing")), 502, "upstream-failure");

		assertThat(problem.path("detail").asString()).doesNotContain("HTTP 500", "Exception", "TypeError");
		// Only the POST that found the key expired: the job never got a new key to generate with.
		assertThat(Emulator.log("/api/generate", Emulator.prompt("verify keeps failing"))).hasSize(1);
	}

	@Test
	void invalidAdAccessCodeRetriesWithAFreshCode() {
		Emulator.fault(statusFault("generate", "invalid_ad_access_code", 1));

		assertThat(generate(body("ad code")).statusCode()).isEqualTo(200);
		assertThat(Emulator.log("/api/getAccessCodeForAdPoweredStuff")).hasSize(1);
		List<JsonNode> posts = Emulator.log("/api/generate", Emulator.prompt("ad code"));
		assertThat(posts.get(posts.size() - 1).path("query").path("adAccessCode").asString()).matches("[0-9a-f]{64}");
	}

	@Test
	void invalidDataIsTheCallersErrorAndNeverRetried() {
		generate(body("warm the key"));
		Emulator.fault(statusFault("generate", "invalid_data", 1));

		assertProblem(generate(body("bad data")), 422, "upstream-rejected");
		assertThat(Emulator.log("/api/generate", Emulator.prompt("bad data"))).hasSize(1);
	}

	@ParameterizedTest
	@ValueSource(strings = { "gen_failure", "fetch_failure", "stale_request", "some_new_status" })
	void transientAndUnknownStatusesAreRetried(String status) {
		Emulator.fault(Map.of("endpoint", "generate", "kind", "status", "status", status, "count", 2, "extra",
				Map.of("type", 1)));

		assertThat(generate(body("transient " + status)).statusCode()).isEqualTo(200);
	}

	@Test
	void transientFailuresAreBounded() {
		generate(body("warm the key"));
		Emulator.fault(statusFault("generate", "gen_failure", 10));

		assertProblem(generate(body("always failing")), 502, "upstream-failure");
		// One attempt plus three retries.
		assertThat(Emulator.log("/api/generate", Emulator.prompt("always failing"))).hasSize(4);
	}

	@ParameterizedTest
	@ValueSource(strings = { "non-json", "truncated-json", "http-500", "http-502", "connection-reset" })
	void transportFaultsAreRetried(String kind) {
		Emulator.fault(fault("generate", kind, 2));

		assertThat(generate(body("fault " + kind)).statusCode()).isEqualTo(200);
	}

	@Test
	void anAnswerSlowerThanTheStepTimeoutIsAbandonedAndRetried() {
		Emulator.fault(Map.of("endpoint", "generate", "kind", "delay", "delayMs", 8000, "count", 1));

		assertThat(generate(body("slow answer")).statusCode()).isEqualTo(200);
	}

	@Test
	void clientUpdateRequiredIsSurfacedInHealth() {
		generate(body("warm the key"));
		Emulator.fault(statusFault("generate", "client_update_required", 1));

		assertProblem(generate(body("protocol changed")), 502, "upstream-protocol-changed");
		JsonNode health = json(send("GET", "/health", null));
		assertThat(health.path("status").asString()).isEqualTo("DEGRADED");
		assertThat(health.path("sessions").get(0).path("upstreamProtocolChanged").asBoolean()).isTrue();
		assertThat(health.path("sessions").get(0).path("lastError").asString()).contains("client_update_required");
		assertThat(Emulator.log("/api/generate", Emulator.prompt("protocol changed"))).hasSize(1);

		assertThat(generate(body("works again")).statusCode()).isEqualTo(200);
		assertThat(json(send("GET", "/health", null)).path("status").asString()).isEqualTo("UP");
	}

	@Test
	void downloadShaMismatchIsRetried() {
		Emulator.fault(fault("download", "sha-mismatch", 1));

		assertThat(generate(body("sha once")).statusCode()).isEqualTo(200);
		assertThat(Emulator.log("/api/downloadTemporaryImageViaProxy")).hasSize(2);
	}

	@Test
	void persistentShaMismatchFails() {
		Emulator.fault(fault("download", "sha-mismatch", 3));

		JsonNode problem = assertProblem(generate(body("sha always")), 502, "upstream-failure");
		// The mismatch and both hashes go to the log with the request id, not to the caller.
		assertThat(problem.path("detail").asString()).doesNotContain("SHA-256").doesNotContainPattern("[0-9a-f]{64}");
		assertThat(Emulator.log("/api/downloadTemporaryImageViaProxy")).hasSize(3);
		assertThat(Emulator.log("/api/downloadTemporaryImage")).hasSize(1);
	}

	@Test
	void expiredDownloadTokenFallsBackToTheLegacyDownload() {
		Emulator.config(Map.of("legacyDownloadEnabled", true));
		Emulator.fault(fault("download", "expired-token", 3));

		HttpResponse<byte[]> response = generate(body("legacy download"));

		assertThat(response.statusCode()).isEqualTo(200);
		assertThat(Emulator.log("/api/downloadTemporaryImageViaProxy")).hasSize(3);
		assertThat(Emulator.log("/api/downloadTemporaryImage")).hasSize(1);
	}

	@Test
	void downloadThatNeverWorksFails() {
		Emulator.fault(fault("download", "expired-token", 3));

		assertProblem(generate(body("no download")), 502, "upstream-failure");
	}

	@Test
	void turnstileTokenPath() {
		Emulator.config(Map.of("trustMode", "token", "turnstileDelayMs", 300));

		assertThat(generate(body("token path")).statusCode()).isEqualTo(200);
		List<JsonNode> verifies = Emulator.log("/api/verifyUser");
		assertThat(verifies).anySatisfy((v) -> assertThat(v.path("query").path("token").asString()).hasSizeGreaterThan(20));
		assertThat(verifies.get(verifies.size() - 1).path("outcome").asString()).isEqualTo("success");
	}

	@Test
	void turnstileThatNeverPassesIsAChallenge() {
		Emulator.config(Map.of("trustMode", "token", "turnstilePasses", false));

		HttpResponse<byte[]> response = generate(body("no turnstile"));

		assertProblem(response, 503, "upstream-challenge");
		assertThat(response.headers().firstValue("Retry-After")).isPresent();
		assertThat(Emulator.log("/api/generate", Emulator.prompt("no turnstile"))).hasSize(1);
	}

	@ParameterizedTest
	@ValueSource(strings = { "too_many_requests", "http-429", "cloudflare-challenge" })
	void rateLimitsAndChallengesOpenTheBreakerWhichClosesAgain(String trigger) {
		generate(body("warm the key"));
		if (trigger.equals("too_many_requests")) {
			Emulator.fault(statusFault("generate", "too_many_requests", 1));
		}
		else {
			Emulator.fault(fault("generate", trigger, 1));
		}
		String type = trigger.equals("cloudflare-challenge") ? "upstream-challenge" : "upstream-rate-limited";

		HttpResponse<byte[]> first = generate(body("limited"));
		assertProblem(first, 503, type);
		assertThat(first.headers().firstValue("Retry-After")).hasValueSatisfying(
				(v) -> assertThat(Long.parseLong(v)).isBetween(1L, 2L));

		// While open, refused at once without touching Perchance (no retry storm).
		HttpResponse<byte[]> second = generate(body("refused while open"));
		assertProblem(second, 503, type);
		assertThat(second.headers().firstValue("Retry-After")).isPresent();
		assertThat(Emulator.log("/api/generate", Emulator.prompt("refused while open"))).isEmpty();
		assertThat(Emulator.log("/api/generate", Emulator.prompt("limited"))).hasSize(1);
		HttpResponse<byte[]> healthResponse = send("GET", "/health", null);
		JsonNode health = json(healthResponse);
		assertThat(health.path("sessions").get(0).path("breaker").path("state").asString()).isEqualTo("open");
		assertThat(health.path("sessions").get(0).path("breaker").path("reason").asString())
			.isEqualTo(type.equals("upstream-challenge") ? "challenge" : "rate-limited");
		// The only session cannot serve: the worker is DOWN until the window ends.
		assertThat(health.path("status").asString()).isEqualTo("DOWN");
		assertThat(healthResponse.statusCode()).isEqualTo(503);

		await().atMost(Duration.ofSeconds(10)).until(() -> anySessionServes());
		assertThat(generate(body("after the window")).statusCode()).isEqualTo(200);
		assertThat(json(send("GET", "/health", null)).path("sessions").get(0).path("breaker").path("state").asString())
			.isEqualTo("closed");
	}

	@Test
	void upstreamRateLimitCausesNoRetryStorm() {
		generate(body("warm the key"));
		int callsSoFar = Emulator.log("/api/generate").size();
		Emulator.config(Map.of("rateLimitPerMinute", callsSoFar + 1));
		assertThat(generate(body("one")).statusCode()).isEqualTo(200);

		assertProblem(generate(body("two")), 503, "upstream-rate-limited");
		assertProblem(generate(body("three")), 503, "upstream-rate-limited");
		assertThat(Emulator.log("/api/generate", Emulator.prompt("two"))).hasSize(1);
		assertThat(Emulator.log("/api/generate", Emulator.prompt("three"))).isEmpty();
		assertThat(Emulator.log("/api/generate", (e) -> "too_many_requests".equals(e.path("outcome").asString())))
			.hasSize(1);
		await().atMost(Duration.ofSeconds(10)).until(() -> anySessionServes());
	}

	@Test
	void aRateLimitedDownloadOpensTheBreakerWithoutRetrying() {
		generate(body("warm the key"));
		Emulator.config(Map.of("legacyDownloadEnabled", true));
		Emulator.fault(fault("download", "http-429", 1));
		int downloadsBefore = Emulator.log("/api/downloadTemporaryImageViaProxy").size();

		assertProblem(generate(body("download limited")), 503, "upstream-rate-limited");
		assertThat(Emulator.log("/api/downloadTemporaryImageViaProxy")).hasSize(downloadsBefore + 1);
		assertThat(Emulator.log("/api/downloadTemporaryImage")).isEmpty();
		await().atMost(Duration.ofSeconds(10)).until(() -> anySessionServes());
	}

	@Test
	void verifyUserRateLimitIsReported() {
		Emulator.fault(statusFault("verifyUser", "too_many_requests", 1));
		Emulator.expireKeys();

		assertProblem(generate(body("verify limited")), 503, "upstream-rate-limited");
		await().atMost(Duration.ofSeconds(10)).until(() -> anySessionServes());
	}

	@Test
	void awaitFaultsDoNotBreakTheRetry() {
		Emulator.fault(statusFault("generate", "waiting_for_prev_request_to_finish", 1));
		Emulator.fault(fault("await", "http-500", 1));

		assertThat(generate(body("await fault")).statusCode()).isEqualTo(200);
	}

}

package dev.imagegen.worker.browser;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import javax.imageio.ImageIO;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import dev.imagegen.worker.config.WorkerProperties;
import dev.imagegen.worker.job.GenerationSpec;
import dev.imagegen.worker.job.ImageFormat;
import dev.imagegen.worker.job.Job;
import dev.imagegen.worker.job.Shape;
import dev.imagegen.worker.job.UpstreamImage;
import dev.imagegen.worker.problem.Problem;
import dev.imagegen.worker.problem.WorkerException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The protocol rules of docs/perchance-protocol.md against a scripted transport: no browser, no Spring.
 */
class PerchanceClientTests {

	private static final String BASE = "https://image.example";

	private static final byte[] IMAGE = jpeg(768, 768);

	private static final String IMAGE_ID = PerchanceClient.sha256(IMAGE);

	private static final GenerationSpec SPEC = new GenerationSpec("a fox", "", 5, 7.0, Shape.SQUARE, ImageFormat.JPEG);

	private final ScriptedTransport transport = new ScriptedTransport();

	private final Breaker breaker = new Breaker(Duration.ofSeconds(30), Duration.ofMinutes(5));

	private final ScriptedTurnstile turnstile = new ScriptedTurnstile();

	private final PerchanceClient client = client(Duration.ofMillis(1));

	@Test
	void aSuccessIsDownloadedAndChecked() {
		trusted();
		this.transport.on("/api/generate", success());
		this.transport.on("/api/downloadTemporaryImageViaProxy", image(IMAGE));

		UpstreamImage image = generate();

		assertThat(image.seed()).isEqualTo(42);
		assertThat(image.width()).isEqualTo(768);
		assertThat(image.imageId()).isEqualTo(IMAGE_ID);
		assertThat(image.bytes()).isEqualTo(IMAGE);
		assertThat(this.transport.calls("/api/verifyUser")).isEqualTo(1);
	}

	@Test
	void aFourthTransientFailureEndsTheJob() {
		trusted();
		this.transport.on("/api/generate", status("gen_failure"), status("fetch_failure"), http(502), status("stale_request"),
				success());
		this.transport.on("/api/downloadTemporaryImageViaProxy", image(IMAGE));

		// Three retries are allowed: the fourth failure would end the job.
		assertThat(catchThrowableOfType(WorkerException.class, this::generate).problem()).isEqualTo(Problem.UPSTREAM_FAILURE);
		assertThat(this.transport.calls("/api/generate")).isEqualTo(4);
	}

	@Test
	void twoTransientFailuresThenSuccess() {
		trusted();
		this.transport.on("/api/generate", status("gen_failure"), text(200, "<html>oops"), success());
		this.transport.on("/api/downloadTemporaryImageViaProxy", image(IMAGE));

		assertThat(generate().imageId()).isEqualTo(IMAGE_ID);
		assertThat(this.transport.calls("/api/generate")).isEqualTo(3);
	}

	@Test
	void invalidDataIsNeverRetried() {
		trusted();
		this.transport.on("/api/generate", status("invalid_data"));

		assertThat(failure().problem()).isEqualTo(Problem.UPSTREAM_REJECTED);
		assertThat(this.transport.calls("/api/generate")).isEqualTo(1);
	}

	@Test
	void tooManyRequestsOpensTheBreakerForTheUpstreamRetryAfter() {
		trusted();
		this.transport.on("/api/generate", new UpstreamResponse(200, "application/json", "{\"status\":\"too_many_requests\"}",
				null, null, "7"));

		WorkerException failure = failure();

		assertThat(failure.problem()).isEqualTo(Problem.UPSTREAM_RATE_LIMITED);
		assertThat(failure.retryAfter()).isEqualTo(Duration.ofSeconds(7));
		assertThat(this.breaker.isOpen()).isTrue();
	}

	@Test
	void a429OnTheDownloadOpensTheBreakerToo() {
		trusted();
		this.transport.on("/api/generate", success());
		this.transport.on("/api/downloadTemporaryImageViaProxy", http(429));

		assertThat(failure().problem()).isEqualTo(Problem.UPSTREAM_RATE_LIMITED);
		assertThat(this.breaker.remaining()).isPositive();
	}

	@Test
	void aChallengePageIsAChallenge() {
		this.transport.on("/api/verifyUser", text(403, "<title>Just a moment...</title>"));

		assertThat(failure().problem()).isEqualTo(Problem.UPSTREAM_CHALLENGE);
		assertThat(this.breaker.reason()).isEqualTo(Breaker.Reason.CHALLENGE);
	}

	@Test
	void clientUpdateRequiredIsAProtocolChange() {
		trusted();
		this.transport.on("/api/generate", status("client_update_required"));

		assertThat(failure().problem()).isEqualTo(Problem.UPSTREAM_PROTOCOL_CHANGED);
		assertThat(this.client.protocolChanged()).isTrue();
	}

	@Test
	void aSuccessWithoutImageIdIsAProtocolChange() {
		trusted();
		this.transport.on("/api/generate", json("{\"status\":\"success\",\"seed\":1}"));

		assertThat(failure().problem()).isEqualTo(Problem.UPSTREAM_PROTOCOL_CHANGED);
	}

	@Test
	void waitingForThePreviousRequestAwaitsThenRepostsWithANewRequestId() {
		trusted();
		this.transport.on("/api/generate", status("waiting_for_prev_request_to_finish"), success());
		this.transport.on("/api/awaitExistingGenerationRequest", status("finished"));
		this.transport.on("/api/downloadTemporaryImageViaProxy", image(IMAGE));

		generate();

		assertThat(this.transport.calls("/api/awaitExistingGenerationRequest")).isEqualTo(1);
		List<String> posts = this.transport.urls("/api/generate");
		assertThat(posts).hasSize(2);
		assertThat(param(posts.get(0), "requestId")).isNotEqualTo(param(posts.get(1), "requestId"));
	}

	@Test
	void waitingForeverIsCapped() {
		trusted();
		List<UpstreamResponse> waits = new ArrayList<>();
		for (int i = 0; i < 10; i++) {
			waits.add(status("waiting_for_prev_request_to_finish"));
		}
		this.transport.on("/api/generate", waits.toArray(UpstreamResponse[]::new));
		this.transport.on("/api/awaitExistingGenerationRequest", status("finished"));

		assertThat(failure().problem()).isEqualTo(Problem.UPSTREAM_FAILURE);
		assertThat(this.transport.calls("/api/generate")).isEqualTo(6);
	}

	@Test
	void aKeyThatExpiresMidJobIsVerifiedAgainOnce() {
		this.transport.on("/api/verifyUser", json("{\"status\":\"already_verified\",\"userKey\":\"k1\"}"),
				json("{\"status\":\"success\",\"userKey\":\"k2\"}"));
		this.transport.on("/api/generate", status("invalid_key"), success());
		this.transport.on("/api/downloadTemporaryImageViaProxy", image(IMAGE));

		generate();

		List<String> posts = this.transport.urls("/api/generate");
		assertThat(param(posts.get(0), "userKey")).isEqualTo("k1");
		assertThat(param(posts.get(1), "userKey")).isEqualTo("k2");
	}

	@Test
	void aKeyRejectedAgainAfterReverificationFails() {
		this.transport.on("/api/verifyUser", json("{\"status\":\"already_verified\",\"userKey\":\"k1\"}"),
				json("{\"status\":\"already_verified\",\"userKey\":\"k2\"}"));
		this.transport.on("/api/generate", status("invalid_key"), status("not_logged_in"));

		assertThat(failure().problem()).isEqualTo(Problem.UPSTREAM_FAILURE);
	}

	@Test
	void aTransientVerifyUserFailureSpendsFromTheSameRetryBudget() {
		this.transport.on("/api/verifyUser", http(500), text(200, "not json"),
				json("{\"status\":\"already_verified\",\"userKey\":\"k1\"}"));
		this.transport.on("/api/generate", status("gen_failure"), status("gen_failure"));

		// Two verifyUser failures and two generate failures: the fourth transient failure exhausts the three retries.
		assertThat(failure().problem()).isEqualTo(Problem.UPSTREAM_FAILURE);
		assertThat(this.transport.calls("/api/verifyUser")).isEqualTo(3);
		assertThat(this.transport.calls("/api/generate")).isEqualTo(2);
	}

	@Test
	void aRejectedAdCodeIsRefreshedOnce() {
		trusted();
		String code = "ab".repeat(32);
		this.transport.on("/api/generate", status("invalid_ad_access_code"), success());
		this.transport.on("/api/getAccessCodeForAdPoweredStuff", text(200, code));
		this.transport.on("/api/downloadTemporaryImageViaProxy", image(IMAGE));

		generate();

		assertThat(param(this.transport.urls("/api/generate").get(1), "adAccessCode")).isEqualTo(code);
	}

	@Test
	void aShaMismatchOrTruncatedImageIsRetriedThenTheLegacyUrlThenFails() {
		trusted();
		byte[] truncated = Arrays.copyOf(IMAGE, IMAGE.length / 2);
		this.transport.on("/api/generate", success());
		this.transport.on("/api/downloadTemporaryImageViaProxy", image(jpeg(768, 769)), image(truncated), image(truncated));
		this.transport.on("/api/downloadTemporaryImage?", http(404));

		WorkerException failure = failure();

		assertThat(failure.problem()).isEqualTo(Problem.UPSTREAM_FAILURE);
		assertThat(failure.getMessage()).doesNotContainPattern("[0-9a-f]{64}").doesNotContain("SHA");
		assertThat(this.transport.calls("/api/downloadTemporaryImageViaProxy")).isEqualTo(3);
		assertThat(this.transport.calls("/api/downloadTemporaryImage?")).isEqualTo(1);
	}

	@Test
	void anImageOfTheWrongSizeFails() {
		byte[] small = jpeg(512, 512);
		trusted();
		this.transport.on("/api/generate", json("{\"status\":\"success\",\"imageId\":\"" + PerchanceClient.sha256(small)
				+ "\",\"imageDownloadUrl\":\"/api/downloadTemporaryImageViaProxy?t=1\",\"seed\":42}"));
		this.transport.on("/api/downloadTemporaryImageViaProxy", image(small));

		assertThat(failure().getMessage()).contains("512x512");
	}

	@Test
	void anUnknownVerifyUserStatusIsAFailureWithoutUpstreamText() {
		this.transport.on("/api/verifyUser", json("{\"status\":\"secret_upstream_words\"}"));

		WorkerException failure = failure();

		assertThat(failure.problem()).isEqualTo(Problem.UPSTREAM_FAILURE);
		assertThat(failure.getMessage()).doesNotContain("secret_upstream_words");
	}

	@Test
	void anAbandonedGenerationIsSettledInsideTheNextJobsBudget() {
		trusted();
		// No answer within the step: Perchance may still be rendering for this key.
		this.transport.on("/api/generate", new UpstreamResponse(-1, null, null, null, "AbortError"));
		this.transport.on("/api/awaitExistingGenerationRequest", status("finished"));
		failure();
		assertThat(this.client.hasOrphanedGeneration()).isTrue();

		this.client.settleOrphanedGeneration(Budget.of(Duration.ofMillis(800)));

		assertThat(this.client.hasOrphanedGeneration()).isFalse();
		int await = this.transport.sent.size() - 1;
		assertThat(this.transport.sent.get(await)).contains("/api/awaitExistingGenerationRequest");
		// The wait is cut to the job's remaining time, not the 5 s step limit.
		assertThat(this.transport.timeouts.get(await)).isLessThanOrEqualTo(Duration.ofMillis(800));
	}

	@Test
	void aJobReportsItsPhasesAndPerchancesQueuePositionWhileGenerateIsOutstanding() {
		trusted();
		this.transport.on("/api/generate", success());
		this.transport.on("/api/downloadTemporaryImageViaProxy", image(IMAGE));
		this.transport.pollAnswers("{\"status\":\"success\",\"position\":3,\"total\":9,\"havingTechnicalDifficulties\":false}",
				"{\"status\":\"success\",\"position\":1,\"total\":9}", "{\"status\":\"not_in_queue\"}");
		RecordingSink progress = new RecordingSink();

		this.client.generate(SPEC, Budget.of(Duration.ofSeconds(10)), progress);

		assertThat(progress.calls).containsExactly("starting", "generating", "upstream 3", "upstream 1", "upstream null",
				"downloading");
		Transport.Poll poll = this.transport.polls.get(0);
		assertThat(poll.url()).isEqualTo(BASE + "/api/getUserQueuePosition?userKey=k1&requestId="
				+ param(this.transport.urls("/api/generate").get(0), "requestId"));
		assertThat(poll.every()).isEqualTo(Duration.ofSeconds(5));
		assertThat(poll.firstAfter()).isEqualTo(Duration.ofSeconds(1));
	}

	@Test
	void aNewGenerateCallOfTheKeyPollsNoSoonerThanFiveSecondsAfterTheLastPoll() {
		trusted();
		this.transport.on("/api/generate", status("gen_failure"), success());
		this.transport.on("/api/downloadTemporaryImageViaProxy", image(IMAGE));
		this.transport.pollAnswers("{\"status\":\"success\",\"position\":2}");

		this.client.generate(SPEC, Budget.of(Duration.ofSeconds(10)), new RecordingSink());

		assertThat(this.transport.polls).hasSize(2);
		assertThat(this.transport.polls.get(1).firstAfter()).isGreaterThan(Duration.ofSeconds(4));
	}

	@Test
	void aFailingOrNonsensicalQueuePositionNeverFailsTheJob() {
		trusted();
		this.transport.on("/api/generate", success());
		this.transport.on("/api/downloadTemporaryImageViaProxy", image(IMAGE));
		this.transport.pollAnswers(null, "<html>", "{\"status\":\"success\",\"position\":\"x\"}", "[1]",
				"{\"status\":\"having_trouble\"}");
		RecordingSink progress = new RecordingSink();

		assertThat(this.client.generate(SPEC, Budget.of(Duration.ofSeconds(10)), progress).imageId()).isEqualTo(IMAGE_ID);
		assertThat(progress.calls).containsExactly("starting", "generating", "downloading");
	}

	@Test
	void withoutAJobNothingIsPolled() {
		trusted();
		this.transport.on("/api/generate", success());
		this.transport.on("/api/downloadTemporaryImageViaProxy", image(IMAGE));

		generate();

		assertThat(this.transport.polls).isEmpty();
	}

	@Test
	void aKeyRejectedMidJobIsReportedAsStartingAgain() {
		trusted();
		this.transport.on("/api/generate", status("invalid_key"), success());
		this.transport.on("/api/downloadTemporaryImageViaProxy", image(IMAGE));
		RecordingSink progress = new RecordingSink();

		this.client.generate(SPEC, Budget.of(Duration.ofSeconds(10)), progress);

		assertThat(progress.calls).containsExactly("starting", "generating", "starting", "generating", "downloading");
	}

	@Test
	void failedVerificationOnGenerateVerifiesTheKeyAgainOnce() {
		this.transport.on("/api/verifyUser", json("{\"status\":\"already_verified\",\"userKey\":\"k1\"}"),
				json("{\"status\":\"already_verified\",\"userKey\":\"k2\"}"));
		this.transport.on("/api/generate", status("failed_verification"), success());
		this.transport.on("/api/downloadTemporaryImageViaProxy", image(IMAGE));

		generate();

		assertThat(this.transport.calls("/api/verifyUser")).isEqualTo(2);
		List<String> posts = this.transport.urls("/api/generate");
		assertThat(posts).hasSize(2);
		assertThat(param(posts.get(1), "userKey")).isEqualTo("k2");
		// The key was rejected on generate, not on verifyUser: no Turnstile token is asked for.
		assertThat(this.turnstile.asked).isZero();
	}

	@Test
	void anUnknownGenerateStatusIsRetriedABoundedNumberOfTimesThenAnUpstreamFailure() {
		trusted();
		this.transport.on("/api/generate", status("brand_new_status"));

		WorkerException failure = failure();

		// docs/perchance-protocol.md: any other status is retried a bounded number of times, then upstream-failure.
		assertThat(failure.problem()).isEqualTo(Problem.UPSTREAM_FAILURE);
		assertThat(failure.getMessage()).doesNotContain("brand_new_status");
		assertThat(this.transport.calls("/api/generate")).isEqualTo(4);
		// A readable JSON answer with a status it does not know is not an unreadable shape.
		assertThat(this.client.protocolChanged()).isFalse();
	}

	@Test
	void anUnknownGenerateStatusThenASuccessRecovers() {
		trusted();
		this.transport.on("/api/generate", json("{\"state\":\"no status field\"}"), success());
		this.transport.on("/api/downloadTemporaryImageViaProxy", image(IMAGE));

		assertThat(generate().imageId()).isEqualTo(IMAGE_ID);
		assertThat(this.transport.calls("/api/generate")).isEqualTo(2);
	}

	@Test
	void tooManyRequestsOnVerifyUserOpensTheBreakerWithoutGenerating() {
		this.transport.on("/api/verifyUser", new UpstreamResponse(200, "text/plain", "{\"status\":\"too_many_requests\"}",
				null, null, "9"));

		WorkerException failure = failure();

		assertThat(failure.problem()).isEqualTo(Problem.UPSTREAM_RATE_LIMITED);
		assertThat(failure.retryAfter()).isEqualTo(Duration.ofSeconds(9));
		assertThat(this.breaker.reason()).isEqualTo(Breaker.Reason.RATE_LIMITED);
		// No retry storm: one verifyUser, and no generate call at all.
		assertThat(this.transport.calls("/api/verifyUser")).isEqualTo(1);
		assertThat(this.transport.calls("/api/generate")).isZero();
	}

	@Test
	void aTokenRequiredAnswerTakesTheTurnstilePath() {
		this.transport.on("/api/verifyUser", json("{\"status\":\"failed_verification\",\"reason\":\"token_required\"}"),
				json("{\"status\":\"success\",\"userKey\":\"k2\"}"));
		this.turnstile.tokens.add("t".repeat(90));
		this.transport.on("/api/generate", success());
		this.transport.on("/api/downloadTemporaryImageViaProxy", image(IMAGE));

		generate();

		List<String> verifications = this.transport.urls("/api/verifyUser");
		assertThat(verifications).hasSize(2);
		assertThat(param(verifications.get(0), "token")).isNull();
		assertThat(param(verifications.get(1), "token")).isEqualTo("t".repeat(90));
		assertThat(this.turnstile.asked).isEqualTo(1);
		assertThat(param(this.transport.urls("/api/generate").get(0), "userKey")).isEqualTo("k2");
	}

	@Test
	void aRefusedTurnstileTokenIsAChallenge() {
		this.transport.on("/api/verifyUser", json("{\"status\":\"failed_verification\",\"reason\":\"token_required\"}"));
		this.turnstile.tokens.add("t".repeat(90));

		WorkerException failure = failure();

		assertThat(failure.problem()).isEqualTo(Problem.UPSTREAM_CHALLENGE);
		assertThat(failure.retryAfter()).isPositive();
		assertThat(this.transport.calls("/api/verifyUser")).isEqualTo(2);
		assertThat(this.transport.calls("/api/generate")).isZero();
	}

	@Test
	void aTurnstileWidgetThatNeverPassesEndsTheKeyFlow() {
		this.transport.on("/api/verifyUser", json("{\"status\":\"failed_verification\",\"reason\":\"token_required\"}"),
				json("{\"status\":\"success\",\"userKey\":\"k2\"}"));
		// No token scripted: the widget fails as PageTurnstile does when its timeout passes.

		assertThat(failure().problem()).isEqualTo(Problem.UPSTREAM_CHALLENGE);
		assertThat(this.transport.calls("/api/verifyUser")).isEqualTo(1);
		assertThat(this.transport.calls("/api/generate")).isZero();
	}

	@Test
	void aChallengeOnGenerateStopsTheJobAndOpensTheBreaker() {
		trusted();
		this.transport.on("/api/generate", text(403, "<html><title>Just a moment...</title></html>"));

		WorkerException failure = failure();

		assertThat(failure.problem()).isEqualTo(Problem.UPSTREAM_CHALLENGE);
		assertThat(failure.retryAfter()).isPositive();
		assertThat(this.breaker.reason()).isEqualTo(Breaker.Reason.CHALLENGE);
		assertThat(this.transport.calls("/api/generate")).isEqualTo(1);
	}

	@Test
	void anAdCodeRejectedTwiceFails() {
		trusted();
		this.transport.on("/api/generate", status("invalid_ad_access_code"), status("invalid_ad_access_code"), success());
		this.transport.on("/api/getAccessCodeForAdPoweredStuff", text(200, "cd".repeat(32)));

		WorkerException failure = failure();

		assertThat(failure.problem()).isEqualTo(Problem.UPSTREAM_FAILURE);
		assertThat(failure.getMessage()).contains("ad access code");
		List<String> posts = this.transport.urls("/api/generate");
		assertThat(posts).hasSize(2);
		assertThat(param(posts.get(0), "adAccessCode")).isEmpty();
		assertThat(param(posts.get(1), "adAccessCode")).isEqualTo("cd".repeat(32));
		assertThat(this.transport.calls("/api/getAccessCodeForAdPoweredStuff")).isEqualTo(1);
	}

	@Test
	void anImageWhoseShaMatchesButThatCannotBeDecodedFails() {
		byte[] garbage = "these bytes are no image at all".getBytes(java.nio.charset.StandardCharsets.UTF_8);
		trusted();
		this.transport.on("/api/generate", json("{\"status\":\"success\",\"imageId\":\"" + PerchanceClient.sha256(garbage)
				+ "\",\"imageDownloadUrl\":\"/api/downloadTemporaryImageViaProxy?t=1\",\"seed\":42}"));
		this.transport.on("/api/downloadTemporaryImageViaProxy", image(garbage));

		WorkerException failure = failure();

		assertThat(failure.problem()).isEqualTo(Problem.UPSTREAM_FAILURE);
		assertThat(failure.getMessage()).contains("could not be decoded");
		// The bytes are those Perchance vouched for: downloading them again would bring the same bytes.
		assertThat(this.transport.calls("/api/downloadTemporaryImageViaProxy")).isEqualTo(1);
	}

	@Test
	void aJobDeadlineThatPassesDuringTheBackoffIsDeadlineExceeded() {
		PerchanceClient slowBackoff = client(Duration.ofSeconds(20));
		trusted();
		this.transport.on("/api/generate", status("gen_failure"), success());

		WorkerException failure = catchThrowableOfType(WorkerException.class,
				() -> slowBackoff.generate(SPEC, Budget.of(new Job(SPEC, "req-1", Duration.ofMillis(300)))));

		assertThat(failure).isNotNull();
		assertThat(failure.problem()).isEqualTo(Problem.DEADLINE_EXCEEDED);
		assertThat(failure.problem().status().value()).isEqualTo(504);
		// The 20 s backoff was cut at the deadline: no second generate call.
		assertThat(this.transport.calls("/api/generate")).isEqualTo(1);
	}

	@Test
	void aJobDeadlineThatPassesDuringARetriedStepIsDeadlineExceeded() {
		trusted();
		this.transport.on("/api/generate", status("gen_failure"), ScriptedTransport.HANG);

		WorkerException failure = catchThrowableOfType(WorkerException.class,
				() -> this.client.generate(SPEC, Budget.of(new Job(SPEC, "req-1", Duration.ofMillis(400)),
						this.transport.time)));

		assertThat(failure).isNotNull();
		assertThat(failure.problem()).isEqualTo(Problem.DEADLINE_EXCEEDED);
		List<String> posts = this.transport.urls("/api/generate");
		assertThat(posts).hasSize(2);
		// The retry's step timeout (5 s configured) was cut to what was left of the job's 400 ms.
		int retry = this.transport.sent.lastIndexOf(posts.get(1));
		assertThat(this.transport.timeouts.get(retry)).isLessThanOrEqualTo(Duration.ofMillis(400));
	}

	private UpstreamImage generate() {
		return this.client.generate(SPEC, Budget.of(Duration.ofSeconds(10)));
	}

	private WorkerException failure() {
		WorkerException failure = catchThrowableOfType(WorkerException.class, this::generate);
		assertThat(failure).as("a WorkerException").isNotNull();
		return failure;
	}

	private void trusted() {
		this.transport.on("/api/verifyUser", json("{\"status\":\"already_verified\",\"userKey\":\"k1\"}"));
	}

	private static UpstreamResponse success() {
		return json("{\"status\":\"success\",\"imageId\":\"" + IMAGE_ID
				+ "\",\"imageDownloadUrl\":\"/api/downloadTemporaryImageViaProxy?t=1\",\"seed\":42,\"maybeNsfw\":false,"
				+ "\"fileExtension\":\"jpeg\"}");
	}

	private static UpstreamResponse status(String status) {
		return json("{\"status\":\"" + status + "\"}");
	}

	private static UpstreamResponse json(String body) {
		return new UpstreamResponse(200, "application/json", body, null, null);
	}

	private static UpstreamResponse text(int status, String body) {
		return new UpstreamResponse(status, "text/html", body, null, null);
	}

	private static UpstreamResponse http(int status) {
		return new UpstreamResponse(status, "text/plain", "", null, null);
	}

	private static UpstreamResponse image(byte[] bytes) {
		return new UpstreamResponse(200, "image/jpeg", null, bytes, null);
	}

	private static String param(String url, String name) {
		for (String pair : URI.create(url).getRawQuery().split("&")) {
			if (pair.startsWith(name + "=")) {
				return java.net.URLDecoder.decode(pair.substring(name.length() + 1), java.nio.charset.StandardCharsets.UTF_8);
			}
		}
		return null;
	}

	private static byte[] jpeg(int width, int height) {
		BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
		image.setRGB(1, 1, 0xff0000);
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		try {
			ImageIO.write(image, "jpeg", out);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		return out.toByteArray();
	}

	private PerchanceClient client(Duration initialBackoff) {
		return new PerchanceClient(null, this.transport, this.turnstile, properties(initialBackoff),
				JsonMapper.builder().build(), new SessionMetrics(new SimpleMeterRegistry()), this.breaker, "session-test");
	}

	private static WorkerProperties properties(Duration initialBackoff) {
		return new WorkerProperties(null, null, new WorkerProperties.Http(Duration.ofSeconds(10), Duration.ofSeconds(60)),
				new WorkerProperties.Perchance(URI.create(BASE), URI.create("https://site.example"), "/page",
						Duration.ofSeconds(5), Duration.ofSeconds(1), Duration.ofMillis(100), "channel", "public"),
				new WorkerProperties.Browser(WorkerProperties.Engine.CHROMIUM, null, true, Path.of("/tmp/unused"), 1,
						List.of(), List.of(), Duration.ofSeconds(1), Duration.ofSeconds(2), 0),
				new WorkerProperties.Jobs(16, Duration.ofSeconds(30), Duration.ofSeconds(1), 1000),
				new WorkerProperties.Retry(initialBackoff, initialBackoff.multipliedBy(2), 3, 5, 3, Duration.ZERO),
				new WorkerProperties.Breaker(Duration.ofSeconds(30), Duration.ofMinutes(5)));
	}

	/** Records what the protocol reports, phase by phase. */
	private static final class RecordingSink implements dev.imagegen.worker.job.ProgressSink {

		private final List<String> calls = new ArrayList<>();

		@Override
		public void phase(dev.imagegen.worker.job.Phase phase) {
			// The sink of a job ignores a repeat; record only changes, as a job would publish them.
			String id = phase.id();
			if (this.calls.isEmpty() || !this.calls.get(this.calls.size() - 1).equals(id)) {
				this.calls.add(id);
			}
		}

		@Override
		public void upstreamQueuePosition(Integer position) {
			this.calls.add("upstream " + position);
		}

	}

	/** Hands out the scripted tokens in order; with none left it fails as the widget does when its timeout passes. */
	private static final class ScriptedTurnstile implements TurnstileWidget {

		private final Deque<String> tokens = new ArrayDeque<>();

		private int asked;

		@Override
		public String awaitToken(Budget budget) {
			this.asked++;
			budget.check();
			if (this.tokens.isEmpty()) {
				throw new WorkerException(Problem.UPSTREAM_CHALLENGE, "The Turnstile check did not pass", Duration.ofSeconds(30));
			}
			return this.tokens.removeFirst();
		}

	}

	/** Answers by URL: the first scripted path the URL contains, in order; the last answer of a path repeats. */
	private static final class ScriptedTransport implements Transport {

		/**
		 * An answer that never comes: the call takes its whole timeout, then reports an abort, as the page's timer does.
		 * Its time passes on {@link #time}, which a budget made on it reads: no real waiting.
		 */
		static final UpstreamResponse HANG = new UpstreamResponse(-1, null, null, null, "AbortError");

		/** The time of a hung call (and of the backoffs of a budget made on it), moved by hand. */
		final ManualTime time = new ManualTime();

		private final Map<String, Deque<UpstreamResponse>> script = new LinkedHashMap<>();

		private final List<String> sent = new ArrayList<>();

		private final List<Duration> timeouts = new ArrayList<>();

		private final List<Transport.Poll> polls = new ArrayList<>();

		private final Deque<String> pollAnswers = new ArrayDeque<>();

		/** Answers of the polls made during the next polled-over request (null: a failed poll). */
		void pollAnswers(String... answers) {
			this.pollAnswers.addAll(Arrays.asList(answers).stream().map((a) -> (a != null) ? a : "\u0000null").toList());
		}

		@Override
		public UpstreamResponse send(String method, String url, String body, boolean binary, Duration timeout,
				Transport.Poll poll) {
			this.polls.add(poll);
			// As the page would: the polls answer while the request is outstanding, on the sending thread.
			while (!this.pollAnswers.isEmpty()) {
				String answer = this.pollAnswers.removeFirst();
				poll.answer().accept("\u0000null".equals(answer) ? null : answer);
			}
			return send(method, url, body, binary, timeout);
		}

		void on(String path, UpstreamResponse... answers) {
			this.script.computeIfAbsent(path, (p) -> new ArrayDeque<>()).addAll(List.of(answers));
		}

		int calls(String path) {
			return urls(path).size();
		}

		List<String> urls(String path) {
			return this.sent.stream().filter((u) -> u.contains(path)).toList();
		}

		@Override
		public UpstreamResponse send(String method, String url, String body, boolean binary, Duration timeout) {
			this.sent.add(url);
			this.timeouts.add(timeout);
			for (Map.Entry<String, Deque<UpstreamResponse>> entry : this.script.entrySet()) {
				if (url.contains(entry.getKey()) && !entry.getValue().isEmpty()) {
					Deque<UpstreamResponse> answers = entry.getValue();
					UpstreamResponse answer = (answers.size() > 1) ? answers.removeFirst() : answers.peekFirst();
					if (answer == HANG) {
						// One millisecond past the timeout, as the page's timer fires after it.
						this.time.advance(timeout.plusMillis(1));
					}
					return answer;
				}
			}
			return new UpstreamResponse(-1, null, null, null, "TypeError");
		}

	}

	/** A budget's time moved by hand: waiting moves it at once. */
	private static final class ManualTime implements Budget.Time {

		private final AtomicLong nanos = new AtomicLong();

		void advance(Duration by) {
			this.nanos.addAndGet(by.toNanos());
		}

		@Override
		public long nanoTime() {
			return this.nanos.get();
		}

		@Override
		public void sleep(long millis) {
			advance(Duration.ofMillis(millis));
		}

	}

}

package dev.imagegen.worker.browser;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.Collections;
import java.util.Iterator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

import com.microsoft.playwright.Page;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import dev.imagegen.worker.config.WorkerProperties;
import dev.imagegen.worker.job.GenerationSpec;
import dev.imagegen.worker.job.Phase;
import dev.imagegen.worker.job.ProgressSink;
import dev.imagegen.worker.job.UpstreamImage;
import dev.imagegen.worker.job.WorkerMetrics;
import dev.imagegen.worker.problem.Problem;
import dev.imagegen.worker.problem.WorkerException;

/**
 * The Perchance protocol (docs/perchance-protocol.md) spoken from one page on the image-API origin: key,
 * generate with its status table and retry counters, download and image checks. Every upstream call goes
 * through a {@link Transport} (in production an in-page {@code fetch}). Used by the one thread that owns the
 * page.
 */
final class PerchanceClient {

	private static final Logger log = LoggerFactory.getLogger(PerchanceClient.class);

	private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");

	private static final String TURNSTILE_SCRIPT = """
			() => {
			  const input = document.querySelector('input[name="cf-turnstile-response"]');
			  if (input && input.value) { return input.value; }
			  try { if (window.turnstile && window.turnstile.getResponse) { return window.turnstile.getResponse() || ''; } }
			  catch (e) { }
			  return '';
			}
			""";

	private final Page page;

	private final Transport transport;

	private final WorkerProperties.Perchance perchance;

	private final WorkerProperties.Retry retry;

	private final JsonMapper json;

	private final WorkerMetrics metrics;

	private final Breaker breaker;

	private final String session;

	private volatile String key;

	private volatile long keyObtainedNanos;

	// A generate call was abandoned without an answer: Perchance may still be rendering for this key.
	private boolean orphanedGeneration;

	private volatile boolean protocolChanged;

	/** Perchance's queue position is polled no more often than this per key (docs/perchance-protocol.md). */
	static final Duration QUEUE_POLL_INTERVAL = Duration.ofSeconds(5);

	/** The first poll of a generate call comes this late at the earliest, once the call is surely in the queue. */
	static final Duration QUEUE_POLL_FIRST = Duration.ofSeconds(1);

	// When this key's queue position was polled last (0: never); polls answer on the session thread.
	private volatile long lastQueuePollNanos;

	PerchanceClient(Page page, WorkerProperties properties, JsonMapper json, WorkerMetrics metrics, Breaker breaker,
			String session) {
		this(page, new PageTransport(page), properties, json, metrics, breaker, session);
	}

	/**
	 * @param page the page for navigation and the Turnstile widget (may be null where neither is used)
	 * @param transport how upstream requests are sent
	 */
	PerchanceClient(Page page, Transport transport, WorkerProperties properties, JsonMapper json, WorkerMetrics metrics,
			Breaker breaker, String session) {
		this.page = page;
		this.transport = transport;
		this.perchance = properties.perchance();
		this.retry = properties.retry();
		this.json = json;
		this.metrics = metrics;
		this.breaker = breaker;
		this.session = session;
	}

	boolean hasKey() {
		return this.key != null;
	}

	/** Age of the current key, or null without one. */
	Duration keyAge() {
		return (this.key != null) ? Duration.ofNanos(System.nanoTime() - this.keyObtainedNanos) : null;
	}

	boolean hasOrphanedGeneration() {
		return this.orphanedGeneration;
	}

	boolean protocolChanged() {
		return this.protocolChanged;
	}

	/** Visits the generator page on the site, then opens {@code /embed} on the image-API origin. */
	void openPages() {
		String sitePage = this.perchance.site() + this.perchance.sitePagePath();
		try {
			this.page.navigate(sitePage);
		}
		catch (RuntimeException ex) {
			// The visit only lowers the odds of a challenge; the key flow decides whether the session works.
			log.warn("Session {}: visiting {} failed: {}", this.session, sitePage, ex.getMessage());
		}
		this.page.navigate(this.perchance.base() + "/embed");
	}

	/**
	 * Obtains a user key: the trusted path, or the Turnstile path when verifyUser asks for a token. Transient
	 * failures of verifyUser (5xx, no answer, a body that is not JSON) are retried like generate's.
	 */
	void obtainKey(Budget budget) {
		obtainKey(budget, new Attempts(this.retry.transientAttempts()));
	}

	private void obtainKey(Budget budget, Attempts attempts) {
		this.key = null;
		Answer answer = verifyUser(null, budget, attempts);
		String status = text(answer.node(), "status");
		boolean turnstile = "failed_verification".equals(status);
		if (turnstile) {
			answer = verifyUser(awaitTurnstileToken(budget), budget, attempts);
			status = text(answer.node(), "status");
		}
		if ("already_verified".equals(status) || "success".equals(status)) {
			useKey(answer.node(), turnstile ? "turnstile" : "trusted");
			return;
		}
		if ("too_many_requests".equals(status)) {
			this.metrics.keyVerification("rate-limited");
			throw rateLimited("verifyUser answered too_many_requests", answer.response());
		}
		this.metrics.keyVerification("failed");
		log.warn("Session {}: verifyUser answered {}", this.session, answer.response().excerpt());
		if (turnstile) {
			throw new WorkerException(Problem.UPSTREAM_CHALLENGE, "Perchance refused the Turnstile token",
					Duration.ofSeconds(30));
		}
		throw new WorkerException(Problem.UPSTREAM_FAILURE, "Perchance's key verification answered an unknown status");
	}

	private void useKey(JsonNode answer, String outcome) {
		String userKey = text(answer, "userKey");
		if (userKey == null || userKey.isBlank()) {
			this.metrics.keyVerification("failed");
			throw protocolChanged("Perchance's key verification succeeded without a user key");
		}
		this.key = userKey;
		this.keyObtainedNanos = System.nanoTime();
		this.metrics.keyVerification(outcome);
		log.info("Session {}: obtained a user key ({})", this.session, outcome);
	}

	private Answer verifyUser(String token, Budget budget, Attempts attempts) {
		while (true) {
			// A fresh cache-buster per attempt, as the page makes one per call.
			String url = this.perchance.base() + "/api/verifyUser?thread=0&__cacheBust=" + randomFloat();
			if (token != null) {
				url += "&token=" + encode(token);
			}
			UpstreamResponse response = fetch("GET", url, null, false, budget);
			stopIfBlocked("verifyUser", "verifyUser", response);
			String failure;
			if (!response.answered()) {
				countUnanswered("verifyUser", response);
				budget.checkDeadline("calling verifyUser");
				failure = response.timedOut() ? "no answer within the step timeout" : "connection failed (" + response.error() + ")";
			}
			else if (response.httpStatus() != 200) {
				this.metrics.upstream("verifyUser", "http-" + response.httpStatus());
				failure = "HTTP " + response.httpStatus();
			}
			else {
				JsonNode node = readObject("verifyUser", response);
				if (node != null) {
					this.metrics.upstream("verifyUser", String.valueOf(text(node, "status")));
					return new Answer(node, response);
				}
				failure = "a body that is not JSON";
			}
			retryOrFail(attempts, "verifyUser", failure, budget);
		}
	}

	/**
	 * Counts a transient failure against the job's one retry budget (shared by verifyUser and generate), then
	 * backs off; fails the job once the budget is spent. The specifics go to the log, not to the caller.
	 */
	private void retryOrFail(Attempts attempts, String endpoint, String failure, Budget budget) {
		int failures = attempts.fail();
		if (failures > attempts.limit()) {
			log.warn("Session {}: {} failed after {} attempts; last: {}", this.session, endpoint, failures, failure);
			throw new WorkerException(Problem.UPSTREAM_FAILURE,
					"Perchance kept failing (" + failures + " attempts); see the worker log for the request id");
		}
		log.info("Session {}: {} attempt {} failed ({}), retrying", this.session, endpoint, failures, failure);
		budget.sleep(backoff(failures), "backing off");
	}

	private String awaitTurnstileToken(Budget budget) {
		// A fresh widget: a token is single-use and the one on the open page may be spent already.
		Duration navigation = budget.stepTimeout(this.perchance.stepTimeout());
		this.page.navigate(this.perchance.base() + "/embed",
				new Page.NavigateOptions().setTimeout(Math.max(1, navigation.toMillis())));
		long limit = System.nanoTime() + min(this.perchance.turnstileTimeout(), budget.remaining()).toNanos();
		while (true) {
			Object value = this.page.evaluate(TURNSTILE_SCRIPT);
			if (value instanceof String token && !token.isBlank()) {
				return token;
			}
			if (System.nanoTime() - limit >= 0) {
				budget.checkDeadline("waiting for Turnstile");
				this.metrics.keyVerification("turnstile-timeout");
				throw new WorkerException(Problem.UPSTREAM_CHALLENGE,
						"The Turnstile check did not pass within " + this.perchance.turnstileTimeout().toSeconds() + " s",
						Duration.ofSeconds(30));
			}
			// Never sleep past the Turnstile limit (and with it the job's deadline).
			long leftMillis = Math.max(1, (limit - System.nanoTime()) / 1_000_000);
			this.page.waitForTimeout(Math.min(this.perchance.turnstilePollInterval().toMillis(), leftMillis));
		}
	}

	/**
	 * Waits for a generation this session abandoned earlier, so the job does not start by colliding with it
	 * ({@code waiting_for_prev_request_to_finish}). It spends from the job's own budget: the wait can never
	 * carry a job past its deadline, and a job whose deadline passes meanwhile is answered at that deadline.
	 */
	void settleOrphanedGeneration(Budget budget) {
		boolean orphaned = this.orphanedGeneration;
		this.orphanedGeneration = false;
		if (!orphaned || this.key == null) {
			return;
		}
		try {
			awaitExisting(budget);
		}
		catch (WorkerException ex) {
			log.info("Session {}: waiting for an abandoned generation failed: {}", this.session, ex.getMessage());
		}
	}

	/**
	 * Runs one generation: POST with retries as the protocol table says, then download and check the image.
	 */
	UpstreamImage generate(GenerationSpec spec, Budget budget) {
		return generate(spec, budget, ProgressSink.NONE);
	}

	/**
	 * Runs one generation, reporting its phases ({@code starting} while a key is obtained, {@code generating},
	 * {@code downloading}) and Perchance's queue position while the generate call is outstanding.
	 */
	UpstreamImage generate(GenerationSpec spec, Budget budget, ProgressSink progress) {
		Attempts attempts = new Attempts(this.retry.transientAttempts());
		int awaits = 0;
		boolean reverified = false;
		boolean adCodeRefreshed = false;
		String adCode = "";
		while (true) {
			budget.check();
			if (this.key == null) {
				progress.phase(Phase.STARTING);
				obtainKey(budget, attempts);
			}
			progress.phase(Phase.GENERATING);
			String requestId = randomFloat();
			String url = this.perchance.base() + "/api/generate?userKey=" + encode(this.key) + "&requestId=" + requestId
					+ "&adAccessCode=" + encode(adCode) + "&__cacheBust=" + randomFloat();
			String body = generateBody(spec, adCode, requestId);
			UpstreamResponse response = generateCall(url, body, requestId, budget, progress);
			if (!response.answered() && response.timedOut()) {
				this.orphanedGeneration = true;
			}
			stopIfBlocked("generate", "generate", response);
			String failure;
			JsonNode node = null;
			if (!response.answered()) {
				countUnanswered("generate", response);
				budget.checkDeadline("waiting for generate");
				failure = response.timedOut() ? "no answer within the step timeout" : "connection failed (" + response.error() + ")";
			}
			else if (response.httpStatus() != 200) {
				this.metrics.upstream("generate", "http-" + response.httpStatus());
				failure = "HTTP " + response.httpStatus();
			}
			else {
				node = readObject("generate", response);
				failure = (node == null) ? "a body that is not JSON" : null;
			}
			if (node != null) {
				String status = String.valueOf(text(node, "status"));
				this.metrics.upstream("generate", status);
				switch (status) {
					case "success" -> {
						this.breaker.onSuccess();
						this.protocolChanged = false;
						progress.phase(Phase.DOWNLOADING);
						return download(spec, node, budget);
					}
					case "waiting_for_prev_request_to_finish" -> {
						if (++awaits > this.retry.awaitAttempts()) {
							throw new WorkerException(Problem.UPSTREAM_FAILURE, "Perchance still reported a previous request in flight after "
									+ this.retry.awaitAttempts() + " waits");
						}
						awaitExisting(budget);
						continue;
					}
					case "invalid_key", "failed_verification", "not_logged_in" -> {
						if (reverified) {
							throw new WorkerException(Problem.UPSTREAM_FAILURE,
									"Perchance rejected the user key again after re-verification (" + status + ")");
						}
						reverified = true;
						log.info("Session {}: key rejected ({}), verifying again", this.session, status);
						progress.phase(Phase.STARTING);
						obtainKey(budget, attempts);
						continue;
					}
					case "invalid_ad_access_code" -> {
						if (adCodeRefreshed) {
							throw new WorkerException(Problem.UPSTREAM_FAILURE, "Perchance rejected the ad access code twice");
						}
						adCodeRefreshed = true;
						adCode = freshAdCode(budget);
						continue;
					}
					case "invalid_data" -> throw new WorkerException(Problem.UPSTREAM_REJECTED,
							"Perchance rejected the parameters (invalid_data)");
					case "too_many_requests" -> throw rateLimited("generate answered too_many_requests", response);
					case "client_update_required" -> {
						this.protocolChanged = true;
						throw protocolChanged("Perchance answered client_update_required: its client protocol changed");
					}
					case "gen_failure", "fetch_failure", "stale_request" -> failure = status;
					default -> {
						log.warn("Session {}: generate answered an unknown status: {}", this.session, response.excerpt());
						failure = "unknown status " + truncate(status, 60);
					}
				}
			}
			retryOrFail(attempts, "generate", failure, budget);
		}
	}

	/**
	 * The generate POST; for a job, Perchance's queue position is polled while it is outstanding, no more often
	 * than every 5 s per key. A poll that fails or answers nonsense changes nothing for the job.
	 */
	private UpstreamResponse generateCall(String url, String body, String requestId, Budget budget,
			ProgressSink progress) {
		if (progress == ProgressSink.NONE) {
			return fetch("POST", url, body, false, budget);
		}
		long now = System.nanoTime();
		Duration first = QUEUE_POLL_FIRST;
		if (this.lastQueuePollNanos != 0) {
			Duration untilAllowed = QUEUE_POLL_INTERVAL.minusNanos(now - this.lastQueuePollNanos);
			first = (untilAllowed.compareTo(first) > 0) ? untilAllowed : first;
		}
		String pollUrl = this.perchance.base() + "/api/getUserQueuePosition?userKey=" + encode(this.key)
				+ "&requestId=" + requestId;
		Transport.Poll poll = new Transport.Poll(pollUrl, first, QUEUE_POLL_INTERVAL, (text) -> {
			this.lastQueuePollNanos = System.nanoTime();
			queuePositionAnswered(text, progress);
		});
		try {
			return this.transport.send("POST", url, body, false, budget.stepTimeout(this.perchance.stepTimeout()), poll);
		}
		finally {
			// A poll may have been sent whose answer never came back: count it as sent at the end of the call.
			if (System.nanoTime() - now >= first.toNanos()) {
				this.lastQueuePollNanos = System.nanoTime();
			}
		}
	}

	private void queuePositionAnswered(String text, ProgressSink progress) {
		try {
			JsonNode node = parse(text);
			String status = (node != null) ? text(node, "status") : null;
			this.metrics.upstream("queuePosition", (node != null) ? String.valueOf(status) : "non-json");
			if ("success".equals(status) && node.get("position") != null && node.get("position").canConvertToInt()
					&& node.get("position").isIntegralNumber() && node.get("position").intValue() >= 0) {
				progress.upstreamQueuePosition(node.get("position").intValue());
			}
			else if ("not_in_queue".equals(status)) {
				progress.upstreamQueuePosition(null);
			}
		}
		catch (RuntimeException ex) {
			// Optional information: never fail the job over it.
			log.debug("Session {}: reading the queue position failed: {}", this.session, ex.toString());
		}
	}

	private Duration backoff(int attempt) {
		long millis = this.retry.initialBackoff().toMillis() << Math.min(attempt - 1, 16);
		return Duration.ofMillis(Math.min(millis, this.retry.maxBackoff().toMillis()));
	}

	private void awaitExisting(Budget budget) {
		String url = this.perchance.base() + "/api/awaitExistingGenerationRequest?userKey=" + encode(this.key)
				+ "&__cacheBust=" + randomFloat();
		UpstreamResponse response = fetch("GET", url, null, false, budget);
		stopIfBlocked("await", "awaitExistingGenerationRequest", response);
		if (!response.answered()) {
			countUnanswered("await", response);
			budget.checkDeadline("waiting for the previous generation");
			return;
		}
		JsonNode node = parse(response.text());
		this.metrics.upstream("await", (node != null) ? String.valueOf(text(node, "status")) : "non-json");
	}

	private String freshAdCode(Budget budget) {
		String url = this.perchance.site() + "/api/getAccessCodeForAdPoweredStuff";
		UpstreamResponse response = fetch("GET", url, null, false, budget);
		String code = (response.httpStatus() == 200 && response.text() != null) ? response.text().trim() : "";
		this.metrics.upstream("adAccessCode", response.answered() ? "http-" + response.httpStatus() : "transport-error");
		if (!HEX64.matcher(code).matches()) {
			log.info("Session {}: no usable ad access code, retrying with an empty one", this.session);
			return "";
		}
		return code;
	}

	private UpstreamImage download(GenerationSpec spec, JsonNode success, Budget budget) {
		String imageId = text(success, "imageId");
		if (imageId != null) {
			imageId = imageId.toLowerCase(Locale.ROOT);
		}
		if (imageId == null || !HEX64.matcher(imageId).matches()) {
			throw protocolChanged("generate succeeded without a readable imageId");
		}
		String downloadUrl = text(success, "imageDownloadUrl");
		JsonNode seedNode = success.get("seed");
		long seed = (seedNode != null && seedNode.isNumber()) ? seedNode.asLong() : spec.seed();
		boolean maybeNsfw = success.has("maybeNsfw") && success.get("maybeNsfw").asBoolean(false);
		String extension = text(success, "fileExtension");

		String failure = "no download URL";
		if (downloadUrl != null && downloadUrl.startsWith("/")) {
			for (int attempt = 1; attempt <= this.retry.downloadAttempts(); attempt++) {
				if (attempt > 1) {
					budget.sleep(this.retry.downloadBackoff(), "retrying the download");
				}
				budget.check();
				UpstreamResponse response = fetch("GET", this.perchance.base() + downloadUrl, null, true, budget);
				failure = checkDownload(response, imageId, budget);
				if (failure == null) {
					return decode(spec, response, imageId, seed, maybeNsfw, extension);
				}
				log.info("Session {}: download attempt {} failed: {}", this.session, attempt, failure);
			}
		}
		budget.check();
		UpstreamResponse legacy = fetch("GET",
				this.perchance.base() + "/api/downloadTemporaryImage?imageId=" + imageId, null, true, budget);
		String legacyFailure = checkDownload(legacy, imageId, budget);
		if (legacyFailure == null) {
			return decode(spec, legacy, imageId, seed, maybeNsfw, extension);
		}
		log.warn("Session {}: downloading image {} failed: {}; legacy download: {}", this.session, imageId, failure,
				legacyFailure);
		throw new WorkerException(Problem.UPSTREAM_FAILURE,
				"Downloading the image from Perchance failed; see the worker log for the request id");
	}

	private String checkDownload(UpstreamResponse response, String imageId, Budget budget) {
		stopIfBlocked("download", "the image download", response);
		if (!response.answered()) {
			budget.checkDeadline("downloading the image");
			return "connection failed (" + response.error() + ")";
		}
		if (response.httpStatus() != 200 || response.bytes() == null) {
			return "HTTP " + response.httpStatus();
		}
		String actual = sha256(response.bytes());
		if (!actual.equals(imageId)) {
			return "SHA-256 mismatch (expected " + imageId + ", got " + actual + ")";
		}
		return null;
	}

	/**
	 * Checks the image's size from its header (ImageReader), without decoding the pixels on the session
	 * thread: a JPEG returned as it is never needs them, a transcoding decodes them on an encoder thread.
	 */
	private UpstreamImage decode(GenerationSpec spec, UpstreamResponse response, String imageId, long seed,
			boolean maybeNsfw, String extension) {
		int width = -1;
		int height = -1;
		try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(response.bytes()))) {
			Iterator<ImageReader> readers = (in != null) ? ImageIO.getImageReaders(in) : Collections.emptyIterator();
			if (readers.hasNext()) {
				ImageReader reader = readers.next();
				try {
					reader.setInput(in, true, true);
					width = reader.getWidth(0);
					height = reader.getHeight(0);
				}
				finally {
					reader.dispose();
				}
			}
		}
		catch (IOException | RuntimeException ex) {
			width = -1;
		}
		if (width < 0 || height < 0) {
			log.warn("Session {}: the image could not be read (Content-Type {})", this.session, response.contentType());
			throw new WorkerException(Problem.UPSTREAM_FAILURE, "The upstream image could not be decoded");
		}
		if (width != spec.shape().width() || height != spec.shape().height()) {
			throw new WorkerException(Problem.UPSTREAM_FAILURE, "The upstream image is " + width + "x" + height
					+ ", expected " + spec.shape().resolution());
		}
		return new UpstreamImage(response.bytes(), mediaType(response.contentType(), extension), width, height, imageId,
				seed, maybeNsfw);
	}

	private static String mediaType(String contentType, String extension) {
		if (contentType != null && contentType.toLowerCase(Locale.ROOT).startsWith("image/")) {
			return contentType.split(";")[0].trim().toLowerCase(Locale.ROOT);
		}
		if (extension != null && !extension.isBlank()) {
			String ext = extension.toLowerCase(Locale.ROOT);
			return "image/" + ("jpg".equals(ext) ? "jpeg" : ext);
		}
		return "image/jpeg";
	}

	private String generateBody(GenerationSpec spec, String adCode, String requestId) {
		// Key order as the real page sends it.
		ObjectNode body = this.json.createObjectNode();
		body.put("prompt", spec.prompt());
		body.put("negativePrompt", spec.negativePrompt());
		body.put("seed", spec.seed());
		body.put("resolution", spec.shape().resolution());
		double guidance = spec.guidanceScale();
		if (guidance == Math.rint(guidance)) {
			body.put("guidanceScale", (long) guidance);
		}
		else {
			body.put("guidanceScale", guidance);
		}
		body.put("channel", this.perchance.channel());
		body.put("subChannel", this.perchance.subChannel());
		body.put("userKey", this.key);
		body.put("adAccessCode", adCode);
		body.put("requestId", requestId);
		return this.json.writeValueAsString(body);
	}

	/** The JSON object of an answer; null (counted and logged) when the body is not one. */
	private JsonNode readObject(String endpoint, UpstreamResponse response) {
		JsonNode node = parse(response.text());
		if (node == null) {
			this.metrics.upstream(endpoint, "non-json");
			log.warn("Session {}: {} answered a body that is not a JSON object: {}", this.session, endpoint,
					response.excerpt());
		}
		return node;
	}

	/**
	 * Stops the job on a Cloudflare challenge or a rate limit on any request: both open the breaker, so there is
	 * no retry storm.
	 */
	private void stopIfBlocked(String endpoint, String what, UpstreamResponse response) {
		if (response.challenge()) {
			this.metrics.upstream(endpoint, "challenge");
			throw challenge(what + " answered a Cloudflare challenge page", response);
		}
		if (response.httpStatus() == 429) {
			this.metrics.upstream(endpoint, "http-429");
			throw rateLimited(what + " answered HTTP 429", response);
		}
	}

	private void countUnanswered(String endpoint, UpstreamResponse response) {
		this.metrics.upstream(endpoint, response.timedOut() ? "timeout" : "transport-error");
	}

	private WorkerException rateLimited(String detail, UpstreamResponse response) {
		Duration open = this.breaker.open(Breaker.Reason.RATE_LIMITED, response.retryAfterDuration());
		log.warn("Session {}: {}; refusing work for {}", this.session, detail, open);
		return new WorkerException(Problem.UPSTREAM_RATE_LIMITED, "Perchance rate-limited this worker: " + detail, open);
	}

	private WorkerException challenge(String detail, UpstreamResponse response) {
		Duration open = this.breaker.open(Breaker.Reason.CHALLENGE, response.retryAfterDuration());
		log.warn("Session {}: {}; refusing work for {}", this.session, detail, open);
		return new WorkerException(Problem.UPSTREAM_CHALLENGE, "Perchance challenged this worker: " + detail, open);
	}

	private WorkerException protocolChanged(String detail) {
		this.protocolChanged = true;
		return new WorkerException(Problem.UPSTREAM_PROTOCOL_CHANGED, detail);
	}

	private UpstreamResponse fetch(String method, String url, String body, boolean binary, Budget budget) {
		return this.transport.send(method, url, body, binary, budget.stepTimeout(this.perchance.stepTimeout()));
	}

	/** Parses a JSON object whatever the content type said; null when the body is not one. */
	private JsonNode parse(String text) {
		if (text == null) {
			return null;
		}
		String trimmed = text.strip();
		if (trimmed.startsWith("\uFEFF")) {
			trimmed = trimmed.substring(1);
		}
		try {
			JsonNode node = this.json.readTree(trimmed);
			return (node != null && node.isObject()) ? node : null;
		}
		catch (JacksonException ex) {
			return null;
		}
	}

	private static String text(JsonNode node, String field) {
		JsonNode value = node.get(field);
		return (value != null && value.isValueNode() && !value.isNull()) ? value.asString() : null;
	}

	private static String truncate(String value, int max) {
		return (value.length() > max) ? value.substring(0, max) + "…" : value;
	}

	private static Duration min(Duration a, Duration b) {
		return (a.compareTo(b) <= 0) ? a : b;
	}

	/** A JSON answer and the response it came in (for its headers). */
	private record Answer(JsonNode node, UpstreamResponse response) {
	}

	/** The transient-failure budget of one job: verifyUser and generate spend from the same count. */
	private static final class Attempts {

		private final int limit;

		private int failures;

		Attempts(int limit) {
			this.limit = limit;
		}

		int fail() {
			return ++this.failures;
		}

		int limit() {
			return this.limit;
		}

	}

	static String randomFloat() {
		// Same shape as the page's Math.random(): "0." followed by digits.
		String value = Double.toString(ThreadLocalRandom.current().nextDouble());
		return value.contains("E") ? "0.5" + ThreadLocalRandom.current().nextLong(1_000_000_000L, 9_999_999_999L) : value;
	}

	private static String encode(String value) {
		return URLEncoder.encode(value, StandardCharsets.UTF_8);
	}

	static String sha256(byte[] bytes) {
		try {
			return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException(ex);
		}
	}

}

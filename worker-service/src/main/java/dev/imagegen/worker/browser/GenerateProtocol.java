package dev.imagegen.worker.browser;

import java.time.Duration;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

import dev.imagegen.worker.config.WorkerProperties;
import dev.imagegen.worker.job.GenerationSpec;
import dev.imagegen.worker.job.Phase;
import dev.imagegen.worker.job.ProgressSink;
import dev.imagegen.worker.job.UpstreamImage;
import dev.imagegen.worker.problem.Problem;
import dev.imagegen.worker.problem.WorkerException;

import static dev.imagegen.worker.browser.UpstreamCalls.encode;
import static dev.imagegen.worker.browser.UpstreamCalls.randomFloat;
import static dev.imagegen.worker.browser.UpstreamCalls.text;

/**
 * The generate call and every status of its table (docs/perchance-protocol.md, section 2) with the retry
 * counters: await for a previous request, re-verification of a rejected key, a fresh ad code, the transient
 * retries, and Perchance's queue position polled while the call is outstanding. Used by the one thread that
 * owns the session.
 */
final class GenerateProtocol {

	private static final Logger log = LoggerFactory.getLogger(GenerateProtocol.class);

	/** Perchance's queue position is polled no more often than this per key (docs/perchance-protocol.md). */
	static final Duration QUEUE_POLL_INTERVAL = Duration.ofSeconds(5);

	/** The first poll of a generate call comes this late at the earliest, once the call is surely in the queue. */
	static final Duration QUEUE_POLL_FIRST = Duration.ofSeconds(1);

	private final UpstreamCalls calls;

	private final KeyVerifier keys;

	private final ImageDownload downloads;

	// A generate call was abandoned without an answer: Perchance may still be rendering for this key.
	private boolean orphanedGeneration;

	// When this key's queue position was polled last (0: never); polls answer on the session thread.
	private volatile long lastQueuePollNanos;

	GenerateProtocol(UpstreamCalls calls, KeyVerifier keys, ImageDownload downloads) {
		this.calls = calls;
		this.keys = keys;
		this.downloads = downloads;
	}

	boolean hasOrphanedGeneration() {
		return this.orphanedGeneration;
	}

	/**
	 * Waits for a generation this session abandoned earlier, so the job does not start by colliding with it
	 * ({@code waiting_for_prev_request_to_finish}). It spends from the job's own budget: the wait can never
	 * carry a job past its deadline, and a job whose deadline passes meanwhile is answered at that deadline.
	 */
	void settleOrphanedGeneration(Budget budget) {
		boolean orphaned = this.orphanedGeneration;
		this.orphanedGeneration = false;
		if (!orphaned || this.keys.key() == null) {
			return;
		}
		try {
			awaitExisting(budget);
		}
		catch (WorkerException ex) {
			log.info("Session {}: waiting for an abandoned generation failed: {}", this.calls.session(), ex.getMessage());
		}
	}

	/**
	 * Runs one generation, reporting its phases ({@code starting} while a key is obtained, {@code generating},
	 * {@code downloading}) and Perchance's queue position while the generate call is outstanding.
	 */
	UpstreamImage generate(GenerationSpec spec, Budget budget, ProgressSink progress) {
		WorkerProperties.Retry retry = this.calls.retry();
		String base = this.calls.perchance().base().toString();
		String session = this.calls.session();
		UpstreamCalls.Attempts attempts = this.calls.attempts();
		int awaits = 0;
		boolean reverified = false;
		boolean adCodeRefreshed = false;
		String adCode = "";
		while (true) {
			budget.check();
			if (this.keys.key() == null) {
				progress.phase(Phase.STARTING);
				this.keys.obtain(budget, attempts);
			}
			progress.phase(Phase.GENERATING);
			String requestId = randomFloat();
			String url = base + "/api/generate?userKey=" + encode(this.keys.key()) + "&requestId=" + requestId
					+ "&adAccessCode=" + encode(adCode) + "&__cacheBust=" + randomFloat();
			String body = generateBody(spec, adCode, requestId);
			UpstreamResponse response = generateCall(url, body, requestId, budget, progress);
			if (!response.answered() && response.timedOut()) {
				this.orphanedGeneration = true;
			}
			this.calls.stopIfBlocked("generate", "generate", response);
			String failure;
			JsonNode node = null;
			if (!response.answered()) {
				this.calls.countUnanswered("generate", response);
				budget.checkDeadline("waiting for generate");
				failure = response.timedOut() ? "no answer within the step timeout" : "connection failed (" + response.error() + ")";
			}
			else if (response.httpStatus() != 200) {
				this.calls.metrics().upstream("generate", "http-" + response.httpStatus());
				failure = "HTTP " + response.httpStatus();
			}
			else {
				node = this.calls.readObject("generate", response);
				failure = (node == null) ? "a body that is not JSON" : null;
			}
			if (node != null) {
				String status = String.valueOf(text(node, "status"));
				this.calls.metrics().upstream("generate", status);
				switch (status) {
					case "success" -> {
						this.calls.breaker().onSuccess();
						this.calls.protocolUnchanged();
						progress.phase(Phase.DOWNLOADING);
						return this.downloads.download(spec, node, budget);
					}
					case "waiting_for_prev_request_to_finish" -> {
						if (++awaits > retry.awaitAttempts()) {
							throw new WorkerException(Problem.UPSTREAM_FAILURE, "Perchance still reported a previous request in flight after "
									+ retry.awaitAttempts() + " waits");
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
						log.info("Session {}: key rejected ({}), verifying again", session, status);
						progress.phase(Phase.STARTING);
						this.keys.obtain(budget, attempts);
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
					case "too_many_requests" -> throw this.calls.rateLimited("generate answered too_many_requests", response);
					case "client_update_required" ->
						throw this.calls.protocolChanged("Perchance answered client_update_required: its client protocol changed");
					case "gen_failure", "fetch_failure", "stale_request" -> failure = status;
					default -> {
						log.warn("Session {}: generate answered an unknown status: {}", session, response.excerpt());
						failure = "unknown status " + truncate(status, 60);
					}
				}
			}
			this.calls.retryOrFail(attempts, "generate", failure, budget);
		}
	}

	/**
	 * The generate POST; for a job, Perchance's queue position is polled while it is outstanding, no more often
	 * than every 5 s per key. A poll that fails or answers nonsense changes nothing for the job.
	 */
	private UpstreamResponse generateCall(String url, String body, String requestId, Budget budget,
			ProgressSink progress) {
		if (progress == ProgressSink.NONE) {
			return this.calls.fetch("POST", url, body, false, budget);
		}
		long now = System.nanoTime();
		Duration first = QUEUE_POLL_FIRST;
		if (this.lastQueuePollNanos != 0) {
			Duration untilAllowed = QUEUE_POLL_INTERVAL.minusNanos(now - this.lastQueuePollNanos);
			first = (untilAllowed.compareTo(first) > 0) ? untilAllowed : first;
		}
		String pollUrl = this.calls.perchance().base() + "/api/getUserQueuePosition?userKey="
				+ encode(this.keys.key()) + "&requestId=" + requestId;
		Transport.Poll poll = new Transport.Poll(pollUrl, first, QUEUE_POLL_INTERVAL, (text) -> {
			this.lastQueuePollNanos = System.nanoTime();
			queuePositionAnswered(text, progress);
		});
		try {
			return this.calls.fetch("POST", url, body, budget, poll);
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
			JsonNode node = this.calls.parse(text);
			String status = (node != null) ? text(node, "status") : null;
			this.calls.metrics().upstream("queuePosition", (node != null) ? String.valueOf(status) : "non-json");
			JsonNode position = (node != null) ? node.get("position") : null;
			if ("success".equals(status) && position != null && position.isIntegralNumber() && position.canConvertToInt()
					&& position.intValue() >= 0) {
				progress.upstreamQueuePosition(position.intValue());
			}
			else if ("not_in_queue".equals(status)) {
				progress.upstreamQueuePosition(null);
			}
		}
		catch (RuntimeException ex) {
			// Optional information: never fail the job over it.
			log.debug("Session {}: reading the queue position failed: {}", this.calls.session(), ex.toString());
		}
	}

	private void awaitExisting(Budget budget) {
		String url = this.calls.perchance().base() + "/api/awaitExistingGenerationRequest?userKey="
				+ encode(this.keys.key()) + "&__cacheBust=" + randomFloat();
		UpstreamResponse response = this.calls.fetch("GET", url, null, false, budget);
		this.calls.stopIfBlocked("await", "awaitExistingGenerationRequest", response);
		if (!response.answered()) {
			this.calls.countUnanswered("await", response);
			budget.checkDeadline("waiting for the previous generation");
			return;
		}
		JsonNode node = this.calls.parse(response.text());
		this.calls.metrics().upstream("await", (node != null) ? String.valueOf(text(node, "status")) : "non-json");
	}

	private String freshAdCode(Budget budget) {
		String url = this.calls.perchance().site() + "/api/getAccessCodeForAdPoweredStuff";
		UpstreamResponse response = this.calls.fetch("GET", url, null, false, budget);
		String code = (response.httpStatus() == 200 && response.text() != null) ? response.text().trim() : "";
		this.calls.metrics().upstream("adAccessCode", response.answered() ? "http-" + response.httpStatus() : "transport-error");
		if (!ImageDownload.HEX64.matcher(code).matches()) {
			log.info("Session {}: no usable ad access code, retrying with an empty one", this.calls.session());
			return "";
		}
		return code;
	}

	private String generateBody(GenerationSpec spec, String adCode, String requestId) {
		WorkerProperties.Perchance perchance = this.calls.perchance();
		// Key order as the real page sends it.
		ObjectNode body = this.calls.json().createObjectNode();
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
		body.put("channel", perchance.channel());
		body.put("subChannel", perchance.subChannel());
		body.put("userKey", this.keys.key());
		body.put("adAccessCode", adCode);
		body.put("requestId", requestId);
		return this.calls.json().writeValueAsString(body);
	}

	private static String truncate(String value, int max) {
		return (value.length() > max) ? value.substring(0, max) + "…" : value;
	}

}

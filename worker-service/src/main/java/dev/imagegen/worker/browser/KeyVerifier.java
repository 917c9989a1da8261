package dev.imagegen.worker.browser;

import java.time.Duration;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

import dev.imagegen.worker.problem.Problem;
import dev.imagegen.worker.problem.WorkerException;

import static dev.imagegen.worker.browser.UpstreamCalls.encode;
import static dev.imagegen.worker.browser.UpstreamCalls.randomFloat;
import static dev.imagegen.worker.browser.UpstreamCalls.text;

/**
 * The user key of one session (docs/perchance-protocol.md, section 1): verifyUser on the trusted path, or with
 * a token from the Turnstile widget ({@link TurnstileWidget}) when Perchance asks for one, retrying transient
 * failures from the job's one budget. Used by the one thread that owns the session.
 */
final class KeyVerifier {

	private static final Logger log = LoggerFactory.getLogger(KeyVerifier.class);

	private final TurnstileWidget turnstile;

	private final UpstreamCalls calls;

	private volatile String key;

	private volatile long keyObtainedNanos;

	/**
	 * @param turnstile the widget that hands out a token when Perchance asks for one
	 * @param calls the shared upstream rules
	 */
	KeyVerifier(TurnstileWidget turnstile, UpstreamCalls calls) {
		this.turnstile = turnstile;
		this.calls = calls;
	}

	/** The current key, or null. */
	String key() {
		return this.key;
	}

	/** Age of the current key, or null without one. */
	Duration keyAge() {
		return (this.key != null) ? Duration.ofNanos(System.nanoTime() - this.keyObtainedNanos) : null;
	}

	/**
	 * Obtains a user key: the trusted path, or the Turnstile path when verifyUser asks for a token. Transient
	 * failures of verifyUser (5xx, no answer, a body that is not JSON) are retried like generate's.
	 */
	void obtain(Budget budget, UpstreamCalls.Attempts attempts) {
		this.key = null;
		Answer answer = verifyUser(null, budget, attempts);
		String status = text(answer.node(), "status");
		boolean turnstile = "failed_verification".equals(status);
		if (turnstile) {
			answer = verifyUser(this.turnstile.awaitToken(budget), budget, attempts);
			status = text(answer.node(), "status");
		}
		if ("already_verified".equals(status) || "success".equals(status)) {
			useKey(answer.node(), turnstile ? "turnstile" : "trusted");
			return;
		}
		if ("too_many_requests".equals(status)) {
			this.calls.metrics().keyVerification("rate-limited");
			throw this.calls.rateLimited("verifyUser answered too_many_requests", answer.response());
		}
		this.calls.metrics().keyVerification("failed");
		log.warn("Session {}: verifyUser answered {}", this.calls.session(), answer.response().excerpt());
		if (turnstile) {
			throw new WorkerException(Problem.UPSTREAM_CHALLENGE, "Perchance refused the Turnstile token",
					Duration.ofSeconds(30));
		}
		throw new WorkerException(Problem.UPSTREAM_FAILURE, "Perchance's key verification answered an unknown status");
	}

	private void useKey(JsonNode answer, String outcome) {
		String userKey = text(answer, "userKey");
		if (userKey == null || userKey.isBlank()) {
			this.calls.metrics().keyVerification("failed");
			throw this.calls.protocolChanged("Perchance's key verification succeeded without a user key");
		}
		this.key = userKey;
		this.keyObtainedNanos = System.nanoTime();
		this.calls.metrics().keyVerification(outcome);
		log.info("Session {}: obtained a user key ({})", this.calls.session(), outcome);
	}

	private Answer verifyUser(String token, Budget budget, UpstreamCalls.Attempts attempts) {
		while (true) {
			// A fresh cache-buster per attempt, as the page makes one per call.
			String url = this.calls.perchance().base() + "/api/verifyUser?thread=0&__cacheBust=" + randomFloat();
			if (token != null) {
				url += "&token=" + encode(token);
			}
			UpstreamResponse response = this.calls.fetch("GET", url, null, false, budget);
			this.calls.stopIfBlocked("verifyUser", "verifyUser", response);
			String failure;
			if (!response.answered()) {
				this.calls.countUnanswered("verifyUser", response);
				budget.checkDeadline("calling verifyUser");
				failure = response.timedOut() ? "no answer within the step timeout" : "connection failed (" + response.error() + ")";
			}
			else if (response.httpStatus() != 200) {
				this.calls.metrics().upstream("verifyUser", "http-" + response.httpStatus());
				failure = "HTTP " + response.httpStatus();
			}
			else {
				JsonNode node = this.calls.readObject("verifyUser", response);
				if (node != null) {
					this.calls.metrics().upstream("verifyUser", String.valueOf(text(node, "status")));
					return new Answer(node, response);
				}
				failure = "a body that is not JSON";
			}
			this.calls.retryOrFail(attempts, "verifyUser", failure, budget);
		}
	}

	/** A JSON answer and the response it came in (for its headers). */
	private record Answer(JsonNode node, UpstreamResponse response) {
	}

}

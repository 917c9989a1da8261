package dev.imagegen.worker.browser;

import java.time.Duration;

import com.microsoft.playwright.Page;
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
 * a Turnstile token from the page's widget when Perchance asks for one, retrying transient failures from the
 * job's one budget. Used by the one thread that owns the page.
 */
final class KeyVerifier {

	private static final Logger log = LoggerFactory.getLogger(KeyVerifier.class);

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

	private final UpstreamCalls calls;

	private volatile String key;

	private volatile long keyObtainedNanos;

	/**
	 * @param page the page with the Turnstile widget (may be null where the Turnstile path is not used)
	 * @param calls the shared upstream rules
	 */
	KeyVerifier(Page page, UpstreamCalls calls) {
		this.page = page;
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
			answer = verifyUser(awaitTurnstileToken(budget), budget, attempts);
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

	private String awaitTurnstileToken(Budget budget) {
		// A fresh widget: a token is single-use and the one on the open page may be spent already.
		Duration navigation = budget.stepTimeout(this.calls.perchance().stepTimeout());
		this.page.navigate(this.calls.perchance().base() + "/embed",
				new Page.NavigateOptions().setTimeout(Math.max(1, navigation.toMillis())));
		Duration turnstileTimeout = this.calls.perchance().turnstileTimeout();
		Duration left = budget.remaining();
		long limit = System.nanoTime() + ((turnstileTimeout.compareTo(left) <= 0) ? turnstileTimeout : left).toNanos();
		while (true) {
			Object value = this.page.evaluate(TURNSTILE_SCRIPT);
			if (value instanceof String token && !token.isBlank()) {
				return token;
			}
			if (System.nanoTime() - limit >= 0) {
				budget.checkDeadline("waiting for Turnstile");
				this.calls.metrics().keyVerification("turnstile-timeout");
				throw new WorkerException(Problem.UPSTREAM_CHALLENGE,
						"The Turnstile check did not pass within " + turnstileTimeout.toSeconds() + " s",
						Duration.ofSeconds(30));
			}
			// Never sleep past the Turnstile limit (and with it the job's deadline).
			long leftMillis = Math.max(1, (limit - System.nanoTime()) / 1_000_000);
			this.page.waitForTimeout(Math.min(this.calls.perchance().turnstilePollInterval().toMillis(), leftMillis));
		}
	}

	/** A JSON answer and the response it came in (for its headers). */
	private record Answer(JsonNode node, UpstreamResponse response) {
	}

}

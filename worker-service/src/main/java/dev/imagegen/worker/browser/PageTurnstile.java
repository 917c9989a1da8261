package dev.imagegen.worker.browser;

import java.time.Duration;

import com.microsoft.playwright.Page;

import dev.imagegen.worker.config.WorkerProperties;
import dev.imagegen.worker.problem.Problem;
import dev.imagegen.worker.problem.WorkerException;

/**
 * {@link TurnstileWidget} on the session's page: reloads {@code /embed} and polls the hidden
 * {@code cf-turnstile-response} input (or {@code turnstile.getResponse()}) until a token appears. Used by the
 * one thread that owns the page.
 */
final class PageTurnstile implements TurnstileWidget {

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

	private final WorkerProperties.Perchance perchance;

	private final SessionMetrics metrics;

	PageTurnstile(Page page, WorkerProperties.Perchance perchance, SessionMetrics metrics) {
		this.page = page;
		this.perchance = perchance;
		this.metrics = metrics;
	}

	@Override
	public String awaitToken(Budget budget) {
		// A fresh widget: a token is single-use and the one on the open page may be spent already.
		Duration navigation = budget.stepTimeout(this.perchance.stepTimeout());
		this.page.navigate(this.perchance.base() + "/embed",
				new Page.NavigateOptions().setTimeout(Math.max(1, navigation.toMillis())));
		Duration turnstileTimeout = this.perchance.turnstileTimeout();
		Duration left = budget.remaining();
		long limit = System.nanoTime() + ((turnstileTimeout.compareTo(left) <= 0) ? turnstileTimeout : left).toNanos();
		while (true) {
			Object value = this.page.evaluate(TURNSTILE_SCRIPT);
			if (value instanceof String token && !token.isBlank()) {
				return token;
			}
			if (System.nanoTime() - limit >= 0) {
				budget.checkDeadline("waiting for Turnstile");
				this.metrics.keyVerification("turnstile-timeout");
				throw new WorkerException(Problem.UPSTREAM_CHALLENGE,
						"The Turnstile check did not pass within " + turnstileTimeout.toSeconds() + " s",
						Duration.ofSeconds(30));
			}
			// Never sleep past the Turnstile limit (and with it the job's deadline).
			long leftMillis = Math.max(1, (limit - System.nanoTime()) / 1_000_000);
			this.page.waitForTimeout(Math.min(this.perchance.turnstilePollInterval().toMillis(), leftMillis));
		}
	}

}

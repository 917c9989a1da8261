package dev.imagegen.worker.browser;

/**
 * Cloudflare's Turnstile widget on the {@code /embed} page (docs/perchance-protocol.md, section 1), as the key
 * flow needs it: one fresh token. The production implementation is {@link PageTurnstile}; unit tests of the
 * key flow hand out tokens without a browser.
 */
interface TurnstileWidget {

	/**
	 * Loads a fresh widget and waits for its token, never past the Turnstile timeout or the budget.
	 * @param budget what is left of the job's (or the warm-up's) time
	 * @return the token
	 * @throws dev.imagegen.worker.problem.WorkerException {@code upstream-challenge} when no token came in time,
	 * or the budget's deadline failure when the budget ran out first
	 */
	String awaitToken(Budget budget);

}

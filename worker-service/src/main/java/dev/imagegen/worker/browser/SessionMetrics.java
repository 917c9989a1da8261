package dev.imagegen.worker.browser;

import java.time.Duration;
import java.util.Set;
import java.util.function.Supplier;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import org.springframework.stereotype.Component;

/**
 * The meters of the browser sessions and their queue, all under {@code imagegen.worker.*}: queue depth and wait,
 * ready sessions, upstream answers, key verifications, browser restarts, dropped jobs (the end-to-end time is
 * {@code generate.GenerationMetrics}). Tags carry bounded values only (outcome names, endpoint names, known
 * upstream statuses), never prompt text.
 */
@Component
class SessionMetrics {

	private static final Set<String> KNOWN_STATUSES = Set.of("success", "already_verified", "failed_verification",
			"too_many_requests", "waiting_for_prev_request_to_finish", "invalid_key", "not_logged_in",
			"invalid_ad_access_code", "invalid_data", "gen_failure", "fetch_failure", "stale_request",
			"client_update_required", "verified", "not_verified", "not_in_queue");

	private final MeterRegistry registry;

	/**
	 * Creates the meters.
	 * @param registry where to register them
	 */
	SessionMetrics(MeterRegistry registry) {
		this.registry = registry;
	}

	/**
	 * Registers the queue gauges.
	 * @param depth current depth
	 * @param capacity capacity
	 */
	void queueGauges(Supplier<Number> depth, int capacity) {
		Gauge.builder("imagegen.worker.queue.depth", depth).description("Jobs waiting for a browser session")
			.register(this.registry);
		Gauge.builder("imagegen.worker.queue.capacity", () -> capacity).description("Capacity of the job queue")
			.register(this.registry);
	}

	/**
	 * Registers the gauge of sessions able to serve.
	 * @param ready current count
	 */
	void readySessionsGauge(Supplier<Number> ready) {
		Gauge.builder("imagegen.worker.sessions.ready", ready).description("Browser sessions able to take a job")
			.register(this.registry);
	}

	/**
	 * Registers the gauge of sessions in one state, for the dashboard's "sessions by state".
	 * @param state the state's id ({@code ready}, {@code busy}, {@code restarting}, …)
	 * @param count sessions in that state now
	 */
	public void sessionsGauge(String state, Supplier<Number> count) {
		Gauge.builder("imagegen.worker.sessions", count).description("Browser sessions by state")
			.tag("state", state)
			.register(this.registry);
	}

	/**
	 * Registers the gauge of sessions whose breaker refuses work (after a rate limit or a challenge).
	 * @param open sessions with an open breaker now
	 */
	public void breakerOpenGauge(Supplier<Number> open) {
		Gauge.builder("imagegen.worker.breaker.open", open)
			.description("Browser sessions whose breaker refuses work after a rate limit or challenge")
			.register(this.registry);
	}

	/**
	 * Records the time a job waited for a session.
	 * @param wait the wait
	 */
	void queueWait(Duration wait) {
		Timer.builder("imagegen.worker.queue.wait").description("Time jobs waited for a browser session")
			.register(this.registry).record(wait);
	}

	/**
	 * Counts one upstream answer.
	 * @param endpoint e.g. {@code generate}
	 * @param status the JSON status, or a transport outcome such as {@code http-429}
	 */
	void upstream(String endpoint, String status) {
		String tag = (KNOWN_STATUSES.contains(status) || status.startsWith("http-") || status.startsWith("transport-")
				|| status.equals("non-json") || status.equals("challenge") || status.equals("timeout")) ? status
						: "unknown";
		Counter.builder("imagegen.worker.upstream.responses").description("Upstream answers by endpoint and status")
			.tag("endpoint", endpoint).tag("status", tag).register(this.registry).increment();
	}

	/**
	 * Counts one key verification.
	 * @param outcome e.g. {@code trusted}, {@code turnstile}, {@code failed}
	 */
	void keyVerification(String outcome) {
		Counter.builder("imagegen.worker.key.verifications").description("User key verifications by outcome")
			.tag("outcome", outcome).register(this.registry).increment();
	}

	/**
	 * Counts one browser relaunch.
	 * @param session the session id
	 * @param reason {@code failure} (a crash, a disconnect or a failed launch) or {@code recycle} (planned, after
	 * {@code recycle-after} jobs)
	 */
	void browserRestart(String session, String reason) {
		Counter.builder("imagegen.worker.browser.restarts").description("Browser relaunches, by reason")
			.tag("session", session).tag("reason", reason).register(this.registry).increment();
	}

	/**
	 * Counts a job dropped before or without an answer from Perchance.
	 * @param reason {@code deadline}, {@code caller-gone} or {@code shutdown}
	 */
	void dropped(String reason) {
		Counter.builder("imagegen.worker.jobs.dropped").description("Jobs dropped without a generation")
			.tag("reason", reason).register(this.registry).increment();
	}

}

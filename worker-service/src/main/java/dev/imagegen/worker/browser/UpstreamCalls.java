package dev.imagegen.worker.browser;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import dev.imagegen.worker.config.WorkerProperties;
import dev.imagegen.worker.problem.Problem;
import dev.imagegen.worker.problem.WorkerException;

/**
 * What every step of the Perchance protocol shares (docs/perchance-protocol.md): sending through the
 * {@link Transport} within the step timeout, the rules that stop a job on any request (challenge, 429), the
 * one transient-failure budget with its backoff, reading JSON answers, and the "protocol changed" flag. Used
 * by the one thread that owns the session.
 */
final class UpstreamCalls {

	private static final Logger log = LoggerFactory.getLogger(UpstreamCalls.class);

	private final Transport transport;

	private final WorkerProperties.Perchance perchance;

	private final WorkerProperties.Retry retry;

	private final JsonMapper json;

	private final SessionMetrics metrics;

	private final Breaker breaker;

	private final String session;

	private volatile boolean protocolChanged;

	UpstreamCalls(Transport transport, WorkerProperties properties, JsonMapper json, SessionMetrics metrics,
			Breaker breaker, String session) {
		this.transport = transport;
		this.perchance = properties.perchance();
		this.retry = properties.retry();
		this.json = json;
		this.metrics = metrics;
		this.breaker = breaker;
		this.session = session;
	}

	WorkerProperties.Perchance perchance() {
		return this.perchance;
	}

	WorkerProperties.Retry retry() {
		return this.retry;
	}

	SessionMetrics metrics() {
		return this.metrics;
	}

	Breaker breaker() {
		return this.breaker;
	}

	String session() {
		return this.session;
	}

	JsonMapper json() {
		return this.json;
	}

	boolean protocolChanged() {
		return this.protocolChanged;
	}

	/** A readable success: the protocol is as expected again. */
	void protocolUnchanged() {
		this.protocolChanged = false;
	}

	UpstreamResponse fetch(String method, String url, String body, boolean binary, Budget budget) {
		return this.transport.send(method, url, body, binary, budget.stepTimeout(this.perchance.stepTimeout()));
	}

	UpstreamResponse fetch(String method, String url, String body, Budget budget, Transport.Poll poll) {
		return this.transport.send(method, url, body, false, budget.stepTimeout(this.perchance.stepTimeout()), poll);
	}

	/**
	 * Stops the job on a Cloudflare challenge or a rate limit on any request: both open the breaker, so there is
	 * no retry storm.
	 */
	void stopIfBlocked(String endpoint, String what, UpstreamResponse response) {
		if (response.challenge()) {
			this.metrics.upstream(endpoint, "challenge");
			throw challenge(what + " answered a Cloudflare challenge page", response);
		}
		if (response.httpStatus() == 429) {
			this.metrics.upstream(endpoint, "http-429");
			throw rateLimited(what + " answered HTTP 429", response);
		}
	}

	void countUnanswered(String endpoint, UpstreamResponse response) {
		this.metrics.upstream(endpoint, response.timedOut() ? "timeout" : "transport-error");
	}

	WorkerException rateLimited(String detail, UpstreamResponse response) {
		Duration open = this.breaker.open(Breaker.Reason.RATE_LIMITED, response.retryAfterDuration());
		log.warn("Session {}: {}; refusing work for {}", this.session, detail, open);
		return new WorkerException(Problem.UPSTREAM_RATE_LIMITED, "Perchance rate-limited this worker: " + detail, open);
	}

	private WorkerException challenge(String detail, UpstreamResponse response) {
		Duration open = this.breaker.open(Breaker.Reason.CHALLENGE, response.retryAfterDuration());
		log.warn("Session {}: {}; refusing work for {}", this.session, detail, open);
		return new WorkerException(Problem.UPSTREAM_CHALLENGE, "Perchance challenged this worker: " + detail, open);
	}

	WorkerException protocolChanged(String detail) {
		this.protocolChanged = true;
		return new WorkerException(Problem.UPSTREAM_PROTOCOL_CHANGED, detail);
	}

	/**
	 * Counts a transient failure against the job's one retry budget (shared by verifyUser and generate), then
	 * backs off; fails the job once the budget is spent. The specifics go to the log, not to the caller.
	 */
	void retryOrFail(Attempts attempts, String endpoint, String failure, Budget budget) {
		int failures = attempts.fail();
		if (failures > attempts.limit()) {
			log.warn("Session {}: {} failed after {} attempts; last: {}", this.session, endpoint, failures, failure);
			throw new WorkerException(Problem.UPSTREAM_FAILURE,
					"Perchance kept failing (" + failures + " attempts); see the worker log for the request id");
		}
		log.info("Session {}: {} attempt {} failed ({}), retrying", this.session, endpoint, failures, failure);
		budget.sleep(backoff(failures), "backing off");
	}

	private Duration backoff(int attempt) {
		long millis = this.retry.initialBackoff().toMillis() << Math.min(attempt - 1, 16);
		return Duration.ofMillis(Math.min(millis, this.retry.maxBackoff().toMillis()));
	}

	/** A fresh transient-failure budget for one job. */
	Attempts attempts() {
		return new Attempts(this.retry.transientAttempts());
	}

	/** The JSON object of an answer; null (counted and logged) when the body is not one. */
	JsonNode readObject(String endpoint, UpstreamResponse response) {
		JsonNode node = parse(response.text());
		if (node == null) {
			this.metrics.upstream(endpoint, "non-json");
			log.warn("Session {}: {} answered a body that is not a JSON object: {}", this.session, endpoint,
					response.excerpt());
		}
		return node;
	}

	/** Parses a JSON object whatever the content type said; null when the body is not one. */
	JsonNode parse(String text) {
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

	static String text(JsonNode node, String field) {
		JsonNode value = node.get(field);
		return (value != null && value.isValueNode() && !value.isNull()) ? value.asString() : null;
	}

	static String randomFloat() {
		// Same shape as the page's Math.random(): "0." followed by digits.
		String value = Double.toString(ThreadLocalRandom.current().nextDouble());
		return value.contains("E") ? "0.5" + ThreadLocalRandom.current().nextLong(1_000_000_000L, 9_999_999_999L) : value;
	}

	static String encode(String value) {
		return URLEncoder.encode(value, StandardCharsets.UTF_8);
	}

	/** The transient-failure budget of one job: verifyUser and generate spend from the same count. */
	static final class Attempts {

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

}

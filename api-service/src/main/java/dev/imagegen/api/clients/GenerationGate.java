package dev.imagegen.api.clients;

import java.util.function.Supplier;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import reactor.core.publisher.Mono;

import dev.imagegen.api.problem.ApiProblem;
import dev.imagegen.api.problem.ProblemTypes;
import org.springframework.web.server.ServerWebExchange;

/**
 * Lets a generation (a worker call) start only within its client's generation rate and concurrency cap, and
 * gives the slot back when it ends, however it ends. Only generations pass here: cache hits, 304s, HEADs and
 * rejected input never spend a generation token because they never reach this gate.
 */
public final class GenerationGate {

	private final ClientLimiter limiter;

	private final Meter.MeterProvider<Counter> rejected;

	private final Meter.MeterProvider<Counter> admitted;

	GenerationGate(ClientLimiter limiter, MeterRegistry meters) {
		this.limiter = limiter;
		this.rejected = ClientFilter.rejectedCounter(meters);
		this.admitted = Counter.builder("imagegen.clients.generations")
			.description("Generations admitted by client limits, by tier (anonymous or key)")
			.withRegistry(meters);
	}

	/**
	 * Runs a generation for the exchange's client, or fails with a {@code 429} problem.
	 * @param <T> what the generation yields
	 * @param exchange the request (carries the client resolved by the client filter)
	 * @param generation starts the generation when subscribed
	 * @return the generation's outcome, or {@code 429 rate-limited} / {@code too-many-concurrent}
	 */
	public <T> Mono<T> admit(ServerWebExchange exchange, Supplier<Mono<T>> generation) {
		return admit((ClientIdentity) exchange.getAttribute(ClientIdentity.ATTRIBUTE), generation);
	}

	/**
	 * Runs a generation for a client, or fails with a {@code 429} problem. For work that outlives its HTTP
	 * exchange (a job), the client is kept with the work and passed here.
	 * @param <T> what the generation yields
	 * @param client the client, or {@code null} for none (no limits apply)
	 * @param generation starts the generation when subscribed
	 * @return the generation's outcome, or {@code 429 rate-limited} / {@code too-many-concurrent}, or (Redis mode,
	 * Redis down) {@code 503 queue-unavailable}
	 */
	public <T> Mono<T> admit(ClientIdentity client, Supplier<Mono<T>> generation) {
		if (client == null) {
			// Only requests that bypass the client filter (none in production) get here without a client.
			return generation.get();
		}
		// A shared limiter that cannot reach Redis fails here with 503 queue-unavailable, and nothing starts.
		return Mono.defer(() -> this.limiter.tryStartGeneration(client)).flatMap((decision) -> {
			if (!decision.admitted()) {
				this.rejected.withTags("reason", decision.reason()).increment();
				return Mono.error(problem(client, decision));
			}
			this.admitted.withTags("tier", client.tier()).increment();
			// Released before the outcome travels on (not in doFinally, which runs after it): a client that sends
			// its next request the moment it has the answer must find its slot free again.
			return generation.get()
				.doOnSuccess((value) -> decision.release())
				.doOnError((failure) -> decision.release())
				.doOnCancel(decision::release);
		});
	}

	private static ApiProblem problem(ClientIdentity client, ClientLimiter.Decision decision) {
		if (decision.reason().equals("concurrency")) {
			return ApiProblem.of(ProblemTypes.TOO_MANY_CONCURRENT, 429, "Too many generations at once",
					"This client already has " + client.maxConcurrent()
							+ " generations in flight; wait for one to finish.")
				.withRetryAfter(decision.retryAfter());
		}
		return ClientFilter.rateLimited("Generation quota spent", "This client may start "
				+ client.generationsPerMinute() + " generations per minute; cached images do not count.",
				decision.retryAfter());
	}

}

package dev.imagegen.api.jobs;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

import dev.imagegen.api.config.ApiProperties;
import dev.imagegen.api.context.RequestContext;
import dev.imagegen.api.generate.GenerateBodyReader;
import dev.imagegen.api.generate.ImageAnswer;
import dev.imagegen.api.problem.ApiProblem;
import dev.imagegen.api.problem.ProblemTypes;
import dev.imagegen.api.redis.RedisUnavailable;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;

/**
 * The jobs routes (docs/api.md, "Jobs"): {@code POST /jobs}, {@code GET /jobs/{id}}, its event stream, its image,
 * and {@code DELETE /jobs/{id}}.
 */
@RestController
class JobsController {

	/** How soon a client that asked for an unfinished job's image should look again. */
	static final Duration NOT_FINISHED_RETRY_AFTER = Duration.ofSeconds(2);

	private final JobService jobs;

	private final GenerateBodyReader bodyReader;

	private final JsonMapper jsonMapper;

	private final Duration keepAlive;

	JobsController(JobService jobs, ApiProperties properties, JobsProperties jobsProperties, JsonMapper jsonMapper) {
		this.jobs = jobs;
		this.bodyReader = new GenerateBodyReader(properties, jsonMapper);
		this.jsonMapper = jsonMapper;
		this.keepAlive = jobsProperties.keepAlive();
	}

	@PostMapping("/jobs")
	Mono<ResponseEntity<byte[]>> create(ServerWebExchange exchange) {
		return this.bodyReader.read(exchange).flatMap((request) -> {
			exchange.getAttributes().put(RequestContext.PROMPT_LENGTH,
					request.prompt().codePointCount(0, request.prompt().length()));
			return this.jobs.submit(exchange, request);
		});
	}

	@GetMapping("/jobs/{id}")
	Mono<ResponseEntity<byte[]>> get(@PathVariable String id) {
		return this.jobs.find(id).map((job) -> jobAnswer(HttpStatus.OK, job));
	}

	@DeleteMapping("/jobs/{id}")
	Mono<ResponseEntity<byte[]>> cancel(@PathVariable String id) {
		return this.jobs.cancel(id).map((job) -> jobAnswer(HttpStatus.ACCEPTED, job));
	}

	/**
	 * The job's states as server-sent events named {@code job}, ending after the terminal one, with a comment line
	 * while nothing changes. A client that goes away only ends its own subscription, never the job. A failure
	 * before the first event is the route's problem answer (404, or 503 when Redis fails); a failure of the shared
	 * store after it ends the stream with one event named {@code error} carrying the problem and a {@code retry}
	 * of {@code Retry-After} (docs/api.md, "Jobs in the Redis mode").
	 */
	@GetMapping("/jobs/{id}/events")
	Flux<ServerSentEvent<String>> events(@PathVariable String id) {
		AtomicBoolean started = new AtomicBoolean();
		Flux<ServerSentEvent<String>> events = this.jobs.changes(id).publish((states) -> {
			// The keep-alive starts with the first state, so that nothing is written before the job is found; a
			// failure reaches the stream through the states themselves, once.
			Flux<Optional<JobView>> keepAlive = states.take(1)
				.onErrorResume((ex) -> Flux.empty())
				.thenMany(Flux.interval(this.keepAlive))
				.map((tick) -> Optional.empty());
			return Flux.merge(states.map(Optional::of), keepAlive);
		})
			.takeUntil((state) -> state.isPresent() && state.get().terminal())
			.doOnNext((state) -> started.set(true))
			.map((state) -> state
				.map((job) -> ServerSentEvent.builder(this.jsonMapper.writeValueAsString(job.json()))
					.event("job")
					.build())
				.orElseGet(() -> ServerSentEvent.<String>builder().comment("keep-alive").build()));
		return events.onErrorResume((failure) -> started.get() && failure instanceof ApiProblem,
				(failure) -> Flux.just(errorEvent((ApiProblem) failure, id)));
	}

	private ServerSentEvent<String> errorEvent(ApiProblem problem, String id) {
		Map<String, Object> body = new LinkedHashMap<>();
		body.put("type", problem.type());
		body.put("title", problem.title());
		body.put("status", problem.status());
		body.put("detail", problem.detail());
		body.put("instance", "/jobs/" + id + "/events");
		Duration retry = (problem.retryAfter() != null) ? problem.retryAfter() : RedisUnavailable.RETRY_AFTER;
		return ServerSentEvent.builder(this.jsonMapper.writeValueAsString(body)).event("error").retry(retry).build();
	}

	@GetMapping("/jobs/{id}/image")
	Mono<ResponseEntity<DataBuffer>> image(@PathVariable String id, ServerWebExchange exchange) {
		return this.jobs.find(id).flatMap((job) -> switch (job.status()) {
			case SUCCEEDED -> this.jobs.image(job)
				.map((generated) -> ImageAnswer.conditional(job.request(), generated, exchange));
			case FAILED -> Mono.error(job.error());
			case CANCELLED -> Mono.error(ApiProblem.of(ProblemTypes.JOB_CANCELLED, 409, "Job cancelled",
					"The job was cancelled before its image was made; it has no image."));
			default -> Mono.error(ApiProblem.of(ProblemTypes.JOB_NOT_FINISHED, 409, "Job not finished",
					"The job is " + job.status().wireName() + "; its image is ready when the job has succeeded "
							+ "(follow /jobs/" + id + "/events, or ask again after Retry-After).")
				.withRetryAfter(NOT_FINISHED_RETRY_AFTER));
		});
	}

	private ResponseEntity<byte[]> jobAnswer(HttpStatus status, JobView job) {
		return ResponseEntity.status(status)
			.contentType(MediaType.APPLICATION_JSON)
			.header(HttpHeaders.CACHE_CONTROL, "no-store")
			.body(this.jobs.json(job));
	}

}

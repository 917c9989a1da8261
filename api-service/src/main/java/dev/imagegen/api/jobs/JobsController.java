package dev.imagegen.api.jobs;

import java.time.Duration;
import java.util.Optional;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

import dev.imagegen.api.config.ApiProperties;
import dev.imagegen.api.context.RequestContext;
import dev.imagegen.api.generate.GenerateBodyReader;
import dev.imagegen.api.generate.ImageAnswer;
import dev.imagegen.api.problem.ApiProblem;
import dev.imagegen.api.problem.ProblemTypes;
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
	ResponseEntity<byte[]> get(@PathVariable String id) {
		return jobAnswer(HttpStatus.OK, this.jobs.find(id));
	}

	@DeleteMapping("/jobs/{id}")
	ResponseEntity<byte[]> cancel(@PathVariable String id) {
		return jobAnswer(HttpStatus.ACCEPTED, this.jobs.cancel(id));
	}

	/**
	 * The job's states as server-sent events named {@code job}, ending after the terminal one, with a comment line
	 * while nothing changes. A client that goes away only ends its own subscription, never the job.
	 */
	@GetMapping("/jobs/{id}/events")
	Flux<ServerSentEvent<String>> events(@PathVariable String id) {
		Job job = this.jobs.find(id);
		Flux<Optional<Job.Snapshot>> states = job.changes().map(Optional::of);
		Flux<Optional<Job.Snapshot>> keepAlive = Flux.interval(this.keepAlive).map((tick) -> Optional.empty());
		return Flux.merge(states, keepAlive)
			.takeUntil((state) -> state.isPresent() && state.get().terminal())
			.map((state) -> state
				.map((snapshot) -> ServerSentEvent.builder(this.jsonMapper.writeValueAsString(snapshot.json()))
					.event("job")
					.build())
				.orElseGet(() -> ServerSentEvent.<String>builder().comment("keep-alive").build()));
	}

	@GetMapping("/jobs/{id}/image")
	ResponseEntity<DataBuffer> image(@PathVariable String id, ServerWebExchange exchange) {
		Job job = this.jobs.find(id);
		return switch (job.status()) {
			case SUCCEEDED -> ImageAnswer.of(job.request(), job.result(), exchange.getResponse().bufferFactory());
			case FAILED -> throw job.error();
			case CANCELLED -> throw ApiProblem.of(ProblemTypes.JOB_CANCELLED, 409, "Job cancelled",
					"The job was cancelled before its image was made; it has no image.");
			default -> throw ApiProblem.of(ProblemTypes.JOB_NOT_FINISHED, 409, "Job not finished",
					"The job is " + job.status().wireName() + "; its image is ready when the job has succeeded "
							+ "(follow /jobs/" + id + "/events, or ask again after Retry-After).")
				.withRetryAfter(NOT_FINISHED_RETRY_AFTER);
		};
	}

	private ResponseEntity<byte[]> jobAnswer(HttpStatus status, Job job) {
		return ResponseEntity.status(status)
			.contentType(MediaType.APPLICATION_JSON)
			.header(HttpHeaders.CACHE_CONTROL, "no-store")
			.body(this.jobs.json(job));
	}

}

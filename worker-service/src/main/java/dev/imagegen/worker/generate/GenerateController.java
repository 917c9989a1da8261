package dev.imagegen.worker.generate;

import java.time.Duration;
import java.util.concurrent.CancellationException;

import io.micrometer.observation.ObservationRegistry;
import jakarta.servlet.http.HttpServletRequest;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.context.request.async.DeferredResult;

import dev.imagegen.worker.job.Job;
import dev.imagegen.worker.job.JobTrace;
import dev.imagegen.worker.job.UpstreamImage;
import dev.imagegen.worker.problem.Problem;
import dev.imagegen.worker.problem.WorkerException;
import dev.imagegen.worker.request.RequestIdFilter;

/**
 * {@code POST /generate}: validates the body, queues a job and answers asynchronously when a browser session
 * has produced the image, the deadline passes, or the caller goes away (which cancels the job). The path
 * itself is {@link Generations}, which the Redis mode's stream entries take too.
 */
@RestController
class GenerateController {

	private final Generations generations;

	private final ObservationRegistry observations;

	GenerateController(Generations generations, ObjectProvider<ObservationRegistry> observations) {
		this.generations = generations;
		this.observations = observations.getIfAvailable(() -> ObservationRegistry.NOOP);
	}

	@PostMapping("/generate")
	DeferredResult<ResponseEntity<byte[]>> generate(@RequestBody(required = false) byte[] body,
			HttpServletRequest request) {
		Duration deadline = this.generations.deadline(Deadlines.callerBudget(request.getHeader(Deadlines.HEADER)));
		Generations.Generation generation = this.generations.start(body, RequestIdFilter.idOf(request), deadline,
				JobTrace.of(this.observations), TomcatCallerProbe.of(request), (job) -> {
				});
		Job job = generation.job();
		DeferredResult<ResponseEntity<byte[]>> response = new DeferredResult<>(Math.max(1, job.remaining().toMillis()));
		response.onTimeout(generation::deadlinePassed);
		response.onError((failure) -> generation.abandon("caller-gone"));
		response.onCompletion(() -> generation.abandon("caller-gone"));
		generation.answer().whenComplete((ok, failure) -> {
			if (ok != null) {
				response.setResult(success(ok));
				return;
			}
			if (failure instanceof CancellationException) {
				// The caller went away: release the request (a write to a closed connection is ignored).
				response.setErrorResult(new WorkerException(Problem.DEADLINE_EXCEEDED, "The job was cancelled"));
				return;
			}
			response.setErrorResult(failure);
		});
		return response;
	}

	private static ResponseEntity<byte[]> success(Generations.Image answer) {
		UpstreamImage image = answer.upstream();
		return ResponseEntity.ok()
			.contentType(MediaType.parseMediaType(answer.contentType()))
			.header("X-Seed", Long.toString(image.seed()))
			.header("X-Image-Width", Integer.toString(image.width()))
			.header("X-Image-Height", Integer.toString(image.height()))
			.header("X-Upstream-Image-Id", image.imageId())
			.header("X-Maybe-Nsfw", Boolean.toString(image.maybeNsfw()))
			.header("X-Queue-Wait-Ms", Long.toString(answer.queueWait().toMillis()))
			.header("X-Generation-Ms", Long.toString(answer.generation().toMillis()))
			.body(answer.bytes());
	}

}

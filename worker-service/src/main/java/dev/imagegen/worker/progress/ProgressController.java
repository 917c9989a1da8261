package dev.imagegen.worker.progress;

import java.io.IOException;
import java.time.Duration;

import tools.jackson.databind.json.JsonMapper;

import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.context.request.async.DeferredResult;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

import dev.imagegen.worker.config.WorkerProperties;
import dev.imagegen.worker.job.ProgressEvent;
import dev.imagegen.worker.problem.Problem;
import dev.imagegen.worker.problem.WorkerException;

/**
 * {@code GET /progress/{requestId}}: the progress of one job as server-sent events (docs/worker-api.md,
 * "Progress"). An id the worker does not know yet is waited for up to 10 s (the API may open the stream a
 * moment before its POST is accepted), then answered {@code 404 unknown-request}. The bearer token is checked
 * as on {@code /generate}.
 */
@RestController
class ProgressController {

	/** How long a subscriber waits for an id to appear. */
	static final Duration UNKNOWN_WAIT = Duration.ofSeconds(10);

	private final ProgressBoard board;

	private final JsonMapper json;

	// No job lives longer than GENERATION_TIMEOUT, so its stream has ended (terminal event) well before this.
	private final Duration streamLimit;

	ProgressController(ProgressBoard board, JsonMapper json, WorkerProperties properties) {
		this.board = board;
		this.json = json;
		this.streamLimit = properties.jobs().generationTimeout().plus(ProgressBoard.RETENTION);
	}

	@GetMapping(path = "/progress/{requestId}", produces = { MediaType.TEXT_EVENT_STREAM_VALUE,
			MediaType.APPLICATION_PROBLEM_JSON_VALUE })
	DeferredResult<SseEmitter> progress(@PathVariable String requestId) {
		DeferredResult<SseEmitter> result = new DeferredResult<>(UNKNOWN_WAIT.toMillis());
		Runnable stopWaiting = this.board.find(requestId, (entry) -> result.setResult(stream(entry)));
		result.onTimeout(() -> {
			if (stopWaiting != null) {
				stopWaiting.run();
			}
			result.setErrorResult(new WorkerException(Problem.UNKNOWN_REQUEST,
					"No job with this request id arrived within " + UNKNOWN_WAIT.toSeconds() + " s"));
		});
		return result;
	}

	private SseEmitter stream(ProgressBoard.Entry entry) {
		SseEmitter emitter = new SseEmitter(this.streamLimit.toMillis());
		ProgressSubscriber subscriber = new EmitterSubscriber(emitter, this.json);
		emitter.onCompletion(() -> this.board.unsubscribe(entry, subscriber));
		emitter.onTimeout(() -> {
			this.board.unsubscribe(entry, subscriber);
			emitter.complete();
		});
		emitter.onError((failure) -> this.board.unsubscribe(entry, subscriber));
		this.board.subscribe(entry, subscriber);
		return emitter;
	}

	/** An SSE stream as a subscriber: {@code event: progress}, one line of JSON per event. */
	private record EmitterSubscriber(SseEmitter emitter, JsonMapper json) implements ProgressSubscriber {

		@Override
		public void send(ProgressEvent event) throws IOException {
			this.emitter.send(SseEmitter.event().name("progress").data(this.json.writeValueAsString(event)));
		}

		@Override
		public void keepAlive() throws IOException {
			this.emitter.send(SseEmitter.event().comment(" keep-alive"));
		}

		@Override
		public void complete() {
			this.emitter.complete();
		}

	}

}

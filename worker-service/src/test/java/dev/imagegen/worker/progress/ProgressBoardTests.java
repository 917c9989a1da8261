package dev.imagegen.worker.progress;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.imagegen.worker.job.GenerationSpec;
import dev.imagegen.worker.job.ImageFormat;
import dev.imagegen.worker.job.Job;
import dev.imagegen.worker.job.JobQueue;
import dev.imagegen.worker.job.Phase;
import dev.imagegen.worker.job.ProgressEvent;
import dev.imagegen.worker.job.Shape;
import dev.imagegen.worker.job.UpstreamImage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The board behind {@code GET /progress/{requestId}}: current event first, every change in order, the end after
 * the terminal event, late subscribers, waiting for an id, retention, keep-alive, and subscribers that fail.
 */
class ProgressBoardTests {

	private static final GenerationSpec SPEC = new GenerationSpec("a fox", "", 1, 7.0, Shape.SQUARE, ImageFormat.PNG);

	private static final UpstreamImage IMAGE = new UpstreamImage(new byte[] { 1 }, "image/jpeg", 768, 768, "id", 1, false);

	private final ProgressBoard board = new ProgressBoard(Duration.ofMillis(300), Duration.ofMillis(50));

	@AfterEach
	void close() {
		this.board.close();
	}

	@Test
	void aSubscriberGetsTheCurrentEventThenEveryChangeAndTheEnd() {
		JobQueue queue = new JobQueue(4);
		Job ahead = job("a");
		Job job = job("b");
		queue.offer(ahead);
		queue.offer(job);
		this.board.track(job);
		Recorder recorder = subscribe("b");
		await().until(() -> recorder.events.size() == 1);

		queue.remove(ahead);
		job.start();
		job.phase(Phase.GENERATING);
		job.upstreamQueuePosition(2);
		job.phase(Phase.DOWNLOADING);
		job.succeed(IMAGE);

		await().until(() -> recorder.completed.get() == 1);
		assertThat(recorder.events).containsExactly(new ProgressEvent("b", "queued", 1, null),
				new ProgressEvent("b", "queued", 0, null), new ProgressEvent("b", "starting", null, null),
				new ProgressEvent("b", "generating", null, null), new ProgressEvent("b", "generating", null, 2),
				new ProgressEvent("b", "downloading", null, null), new ProgressEvent("b", "done", null, null));
	}

	@Test
	void aLateSubscriberGetsTheTerminalEventUntilTheRetentionEnds() {
		Job job = job("late");
		this.board.track(job);
		job.start();
		job.fail(new IllegalStateException("upstream"));

		Recorder recorder = subscribe("late");

		await().until(() -> recorder.completed.get() == 1);
		assertThat(recorder.events).containsExactly(new ProgressEvent("late", "failed", null, null));
		await().atMost(Duration.ofSeconds(5)).until(() -> !this.board.knows("late"));
	}

	@Test
	void aSubscriberWaitingForAnUnknownIdIsAttachedWhenTheJobArrives() {
		AtomicReference<ProgressBoard.Entry> found = new AtomicReference<>();
		Runnable stop = this.board.find("soon", found::set);
		assertThat(stop).isNotNull();
		assertThat(found.get()).isNull();

		this.board.track(job("soon"));

		assertThat(found.get()).isNotNull();
		assertThat(this.board.find("soon", (e) -> { })).isNull();
	}

	@Test
	void aWaiterThatGaveUpIsNotCalled() {
		AtomicInteger calls = new AtomicInteger();
		this.board.find("gone", (e) -> calls.incrementAndGet()).run();

		this.board.track(job("gone"));

		assertThat(calls).hasValue(0);
	}

	@Test
	void openStreamsGetKeepAliveComments() {
		this.board.track(job("idle"));
		Recorder recorder = subscribe("idle");

		await().atMost(Duration.ofSeconds(5)).until(() -> recorder.keepAlives.get() >= 2);
	}

	@Test
	void aFailingSubscriberIsDroppedAndChangesNothingForTheJobOrTheOthers() {
		Job job = job("f");
		this.board.track(job);
		Recorder broken = subscribe("f");
		broken.fail = true;
		Recorder healthy = subscribe("f");
		await().until(() -> healthy.events.size() == 1);

		job.start();
		job.succeed(IMAGE);

		await().until(() -> healthy.completed.get() == 1);
		assertThat(healthy.events).extracting(ProgressEvent::phase).containsExactly("queued", "starting", "done");
		assertThat(job.state()).isEqualTo(Job.State.DONE);
		assertThat(broken.completed).hasValue(0);
	}

	@Test
	void anUnsubscribedStreamGetsNothingMore() {
		Job job = job("u");
		ProgressBoard.Entry[] entry = new ProgressBoard.Entry[1];
		this.board.track(job);
		this.board.find("u", (e) -> entry[0] = e);
		Recorder recorder = new Recorder();
		this.board.subscribe(entry[0], recorder);
		await().until(() -> recorder.events.size() == 1);

		this.board.unsubscribe(entry[0], recorder);
		job.start();
		job.succeed(IMAGE);
		Recorder after = subscribe("u");

		await().until(() -> after.completed.get() == 1);
		assertThat(recorder.events).hasSize(1);
		assertThat(job.state()).isEqualTo(Job.State.DONE);
	}

	private Recorder subscribe(String id) {
		Recorder recorder = new Recorder();
		this.board.find(id, (entry) -> this.board.subscribe(entry, recorder));
		return recorder;
	}

	private static Job job(String id) {
		return new Job(SPEC, id, Duration.ofSeconds(30));
	}

	/** Records what a stream would have sent. */
	private static final class Recorder implements ProgressSubscriber {

		final List<ProgressEvent> events = new CopyOnWriteArrayList<>();

		final AtomicInteger keepAlives = new AtomicInteger();

		final AtomicInteger completed = new AtomicInteger();

		volatile boolean fail;

		@Override
		public void send(ProgressEvent event) throws IOException {
			if (this.fail) {
				throw new IOException("gone");
			}
			this.events.add(event);
		}

		@Override
		public void keepAlive() throws IOException {
			if (this.fail) {
				throw new IOException("gone");
			}
			this.keepAlives.incrementAndGet();
		}

		@Override
		public void complete() {
			this.completed.incrementAndGet();
		}

	}

}

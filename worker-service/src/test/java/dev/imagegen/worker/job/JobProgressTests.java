package dev.imagegen.worker.job;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The progress rules of a job (docs/worker-api.md, "Progress"): queue positions that follow the queue, the
 * phases of a running job, Perchance's position only while generating, one terminal event and nothing after.
 */
class JobProgressTests {

	private static final GenerationSpec SPEC = new GenerationSpec("a fox", "", 1, 7.0, Shape.SQUARE, ImageFormat.PNG);

	private static final UpstreamImage IMAGE = new UpstreamImage(new byte[] { 1 }, "image/jpeg", 768, 768, "id", 1, false);

	private final JobQueue queue = new JobQueue(8);

	@Test
	void queuePositionsGoDownAsJobsAheadLeaveTheQueue() throws InterruptedException {
		Job first = job("a");
		Job second = job("b");
		Job third = job("c");
		List<ProgressEvent> events = watch(third);
		this.queue.offer(first);
		this.queue.offer(second);
		this.queue.offer(third);

		assertThat(first.progress().queuePosition()).isZero();
		assertThat(third.progress()).isEqualTo(new ProgressEvent("c", "queued", 2, null));

		assertThat(this.queue.poll(10)).isSameAs(first);
		this.queue.remove(second);

		assertThat(events).extracting(ProgressEvent::queuePosition).containsExactly(2, 1, 0);
		assertThat(events).extracting(ProgressEvent::phase).containsOnly("queued");
	}

	@Test
	void aRunningJobReportsItsPhasesAndEndsWithDone() {
		Job job = job("r");
		List<ProgressEvent> events = watch(job);
		this.queue.offer(job);

		job.start();
		job.phase(Phase.GENERATING);
		job.upstreamQueuePosition(3);
		job.upstreamQueuePosition(3);
		job.phase(Phase.GENERATING);
		job.upstreamQueuePosition(1);
		job.phase(Phase.DOWNLOADING);
		job.upstreamQueuePosition(7);
		job.succeed(IMAGE);
		job.phase(Phase.GENERATING);
		job.fail(new IllegalStateException("late"));

		assertThat(events).containsExactly(new ProgressEvent("r", "queued", 0, null),
				new ProgressEvent("r", "starting", null, null), new ProgressEvent("r", "generating", null, null),
				new ProgressEvent("r", "generating", null, 3), new ProgressEvent("r", "generating", null, 1),
				new ProgressEvent("r", "downloading", null, null), new ProgressEvent("r", "done", null, null));
	}

	@Test
	void failureAndCancellationEndWithFailed() {
		Job failing = job("f");
		List<ProgressEvent> failed = watch(failing);
		failing.start();
		failing.fail(new IllegalStateException("upstream"));
		Job cancelled = job("c");
		List<ProgressEvent> dropped = watch(cancelled);
		this.queue.offer(cancelled);
		cancelled.cancel();
		this.queue.remove(cancelled);

		assertThat(failed).extracting(ProgressEvent::phase).containsExactly("starting", "failed");
		assertThat(dropped).extracting(ProgressEvent::phase).containsExactly("queued", "failed");
		assertThat(cancelled.progress().terminal()).isTrue();
	}

	@Test
	void aJobHandedBackIsQueuedAgainAtTheFront() throws InterruptedException {
		Job crashed = job("x");
		Job waiting = job("y");
		this.queue.offer(crashed);
		this.queue.offer(waiting);
		this.queue.poll(10);
		crashed.start();
		crashed.phase(Phase.GENERATING);
		List<ProgressEvent> events = watch(waiting);

		assertThat(crashed.requeueOnce()).isTrue();
		this.queue.requeueFirst(crashed);

		assertThat(crashed.progress()).isEqualTo(new ProgressEvent("x", "queued", 0, null));
		assertThat(events).containsExactly(new ProgressEvent("y", "queued", 1, null));
	}

	@Test
	void phasesAndPositionsOutsideTheirStateChangeNothing() {
		Job job = job("q");
		List<ProgressEvent> events = watch(job);

		job.phase(Phase.GENERATING);
		job.upstreamQueuePosition(2);
		job.start();
		job.upstreamQueuePosition(2);
		job.queuedAt(4);

		assertThat(events).containsExactly(new ProgressEvent("q", "starting", null, null));
	}

	@Test
	void aJobIsToldItsPlaceBeforeAnyoneCanFollowOrTakeIt() throws InterruptedException {
		this.queue.offer(job("ahead"));
		Job job = job("next");
		List<ProgressEvent> seen = new CopyOnWriteArrayList<>();

		this.queue.offer(job, (j) -> seen.add(j.progress()));

		assertThat(seen).containsExactly(new ProgressEvent("next", "queued", 1, null));
	}

	@Test
	void aFailingWatcherNeverKeepsTheJobFromBeingAnswered() {
		Job job = job("w");
		job.watch((event) -> {
			throw new IllegalStateException("closed");
		});
		job.start();

		job.succeed(IMAGE);

		assertThat(job.result()).isCompleted();
		assertThat(job.progress().phase()).isEqualTo("done");
	}

	private static Job job(String id) {
		return new Job(SPEC, id, Duration.ofSeconds(30));
	}

	private static List<ProgressEvent> watch(Job job) {
		List<ProgressEvent> events = new CopyOnWriteArrayList<>();
		job.watch(events::add);
		return events;
	}

}

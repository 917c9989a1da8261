package dev.imagegen.worker.job;

import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A job's state machine: queued → running → done, cancellation from either side, the one requeue, and the
 * caller probe that is never consulted once the job has been answered.
 */
class JobTests {

	private static final GenerationSpec SPEC = new GenerationSpec("a fox", "", 1, 7.0, Shape.SQUARE, ImageFormat.PNG);

	private static final UpstreamImage IMAGE = new UpstreamImage(new byte[] { 1 }, "image/jpeg", 768, 768, "id", 1, false);

	@Test
	void aJobRunsOnceAndIsAnsweredOnce() {
		Job job = new Job(SPEC, "r1", Duration.ofSeconds(30));

		assertThat(job.start()).isTrue();
		assertThat(job.start()).isFalse();
		job.succeed(IMAGE);
		job.fail(new IllegalStateException("late"));

		assertThat(job.state()).isEqualTo(Job.State.DONE);
		assertThat(job.result().join().image()).isSameAs(IMAGE);
		assertThat(job.cancel()).isFalse();
	}

	@Test
	void aCancelledJobIsNeverStartedNorAnswered() {
		Job job = new Job(SPEC, "r2", Duration.ofSeconds(30));

		assertThat(job.cancel()).isTrue();

		assertThat(job.start()).isFalse();
		job.fail(new IllegalStateException("after cancel"));
		assertThat(job.state()).isEqualTo(Job.State.CANCELLED);
		assertThatThrownBy(() -> job.result().join()).isInstanceOf(CancellationException.class);
	}

	@Test
	void aRunningJobMayGoBackToTheQueueOnlyOnce() {
		Job job = new Job(SPEC, "r3", Duration.ofSeconds(30));
		job.start();

		assertThat(job.requeueOnce()).isTrue();
		assertThat(job.state()).isEqualTo(Job.State.QUEUED);
		assertThat(job.start()).isTrue();
		assertThat(job.requeueOnce()).isFalse();
	}

	@Test
	void theCallerProbeIsAskedWhileQueuedOrRunningButNeverAfterTheAnswer() {
		Job job = new Job(SPEC, "r4", Duration.ofSeconds(30));
		AtomicBoolean connected = new AtomicBoolean(true);
		AtomicBoolean askedAfterAnswer = new AtomicBoolean();
		job.callerConnected(() -> {
			if (job.state() == Job.State.DONE) {
				askedAfterAnswer.set(true);
			}
			return connected.get();
		});

		assertThat(job.callerGone()).isFalse();
		job.start();
		connected.set(false);
		assertThat(job.callerGone()).isTrue();
		job.fail(new IllegalStateException("answered"));
		assertThat(job.callerGone()).isFalse();
		assertThat(askedAfterAnswer).isFalse();
	}

	@Test
	void aProbeThatFailsCountsAsConnected() {
		Job job = new Job(SPEC, "r5", Duration.ofSeconds(30));
		job.callerConnected(() -> {
			throw new IllegalStateException("recycled request");
		});

		assertThat(job.callerGone()).isFalse();
	}

	@Test
	void theDeadlineCountsFromArrival() {
		Job job = new Job(SPEC, "r6", Duration.ZERO);

		assertThat(job.expired()).isTrue();
		assertThat(new Job(SPEC, "r7", Duration.ofMinutes(1)).remaining()).isPositive();
	}

}

package dev.imagegen.worker.job;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Shutdown closes the queue so that no job can slip in behind the final drain and wait forever. */
class JobQueueTests {

	private static Job job(String id) {
		return new Job(new GenerationSpec("a fox", "", 1, 7.0, Shape.SQUARE, ImageFormat.PNG), id, Duration.ofSeconds(30));
	}

	@Test
	void aClosedQueueRefusesNewAndHandedBackJobsUntilOpenedAgain() {
		JobQueue queue = new JobQueue(2);
		Job waiting = job("waiting");
		assertThat(queue.offer(waiting)).isTrue();

		assertThat(queue.closeAndDrain()).containsExactly(waiting);
		assertThat(queue.requeueFirst(job("handed-back"))).isFalse();
		assertThat(queue.offer(job("late"))).isFalse();
		assertThat(queue.depth()).isZero();

		queue.open();
		assertThat(queue.requeueFirst(job("handed-back"))).isTrue();
		assertThat(queue.depth()).isEqualTo(1);
	}

	@Test
	void aHandedBackJobGoesFirstEvenWhenTheQueueIsFull() {
		JobQueue queue = new JobQueue(1);
		Job queued = job("queued");
		Job handedBack = job("handed-back");
		assertThat(queue.offer(queued)).isTrue();
		assertThat(queue.offer(job("refused"))).isFalse();
		assertThat(queue.requeueFirst(handedBack)).isTrue();
		assertThat(queue.drain()).containsExactly(handedBack, queued);
	}

}

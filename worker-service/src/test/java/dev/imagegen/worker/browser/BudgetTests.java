package dev.imagegen.worker.browser;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import dev.imagegen.worker.job.GenerationSpec;
import dev.imagegen.worker.job.ImageFormat;
import dev.imagegen.worker.job.Job;
import dev.imagegen.worker.job.Shape;
import dev.imagegen.worker.problem.Problem;
import dev.imagegen.worker.problem.WorkerException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * A job's budget: step timeouts never exceed what is left, a passed deadline is a 504, and a job whose caller
 * has gone stops at the next step.
 */
class BudgetTests {

	private static final GenerationSpec SPEC = new GenerationSpec("a fox", "", 1, 7.0, Shape.SQUARE, ImageFormat.PNG);

	@Test
	void aStepNeverOutlivesTheDeadline() {
		Budget budget = Budget.of(new Job(SPEC, "r", Duration.ofSeconds(2)));

		assertThat(budget.stepTimeout(Duration.ofSeconds(100))).isLessThanOrEqualTo(Duration.ofSeconds(2));
		assertThat(Budget.of(Duration.ofMinutes(10)).stepTimeout(Duration.ofSeconds(5))).isEqualTo(Duration.ofSeconds(5));
	}

	@Test
	void aPassedDeadlineIsDeadlineExceededForAJobAndAnUpstreamFailureOtherwise() {
		WorkerException job = catchThrowableOfType(WorkerException.class,
				() -> Budget.of(new Job(SPEC, "r", Duration.ZERO)).check());
		WorkerException session = catchThrowableOfType(WorkerException.class, () -> Budget.of(Duration.ZERO).check());

		assertThat(job.problem()).isEqualTo(Problem.DEADLINE_EXCEEDED);
		assertThat(session.problem()).isEqualTo(Problem.UPSTREAM_FAILURE);
	}

	@Test
	void aJobWhoseCallerHasGoneIsCancelledAtTheNextStep() {
		Job job = new Job(SPEC, "r", Duration.ofSeconds(30));
		job.start();
		job.callerConnected(() -> false);

		assertThatThrownBy(() -> Budget.of(job).check()).isInstanceOf(Budget.JobAbandonedException.class);
		assertThat(job.state()).isEqualTo(Job.State.CANCELLED);
	}

	@Test
	void aFinishedJobStopsTheConversation() {
		Job job = new Job(SPEC, "r", Duration.ofSeconds(30));
		Budget budget = Budget.of(job);
		job.cancel();

		assertThatThrownBy(budget::check).isInstanceOf(Budget.JobAbandonedException.class);
	}

}

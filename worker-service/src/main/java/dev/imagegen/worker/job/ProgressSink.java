package dev.imagegen.worker.job;

/**
 * Where the protocol steps report what a running job is doing. {@link Job} is the production sink; tests
 * record the calls.
 */
public interface ProgressSink {

	/** Reports nothing (session work outside a job, e.g. warming up). */
	ProgressSink NONE = new ProgressSink() {

		@Override
		public void phase(Phase phase) {
		}

		@Override
		public void upstreamQueuePosition(Integer position) {
		}

	};

	/**
	 * The job entered a phase ({@code starting}, {@code generating} or {@code downloading}).
	 * @param phase the phase
	 */
	void phase(Phase phase);

	/**
	 * Perchance reported a queue position for the outstanding generate call (null: not in its queue).
	 * @param position the position, or null
	 */
	void upstreamQueuePosition(Integer position);

}

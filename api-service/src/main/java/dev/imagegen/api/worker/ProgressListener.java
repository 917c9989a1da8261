package dev.imagegen.api.worker;

/**
 * Told every progress event the chosen worker reports for one generation. Progress is advisory: a stream that
 * fails or is missing only means fewer calls, never a failed generation.
 */
@FunctionalInterface
public interface ProgressListener {

	/**
	 * One event, in the order the worker sent them.
	 * @param progress the event
	 */
	void onProgress(WorkerProgress progress);

	/**
	 * Redis mode only: the generation was added to the shared work stream under this id (its
	 * {@code P:events:}/{@code P:result:} name, docs/architecture.md), so that a job can record where its result
	 * will be found even if this replica stops before it arrives. Direct mode never calls it.
	 * @param generationId the 32-hex {@code gen} of the stream entry
	 */
	default void onDispatched(String generationId) {
	}

	/**
	 * The generation passed the client limits (or joined one already in flight, which costs none): from now on
	 * its outcome is the worker's, never a {@code 429}. Called at most once, before any other event, possibly long
	 * after the request was made (the Redis mode decides the limits asynchronously). A job's {@code POST} waits
	 * for this, so that a refused job is answered with its {@code 429} instead of a {@code 202}.
	 */
	default void onAdmitted() {
	}

}

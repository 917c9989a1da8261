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

}

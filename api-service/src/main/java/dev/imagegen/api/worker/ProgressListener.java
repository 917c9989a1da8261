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

}

package dev.imagegen.worker.job;

/**
 * Tells whether the caller of a job still waits for its answer. The Servlet API has no such call; the HTTP
 * layer supplies an implementation (see {@code generate.TomcatCallerProbe}).
 */
@FunctionalInterface
public interface CallerProbe {

	/** A probe for callers that cannot be watched: they always count as connected, so the job simply runs. */
	CallerProbe ALWAYS_CONNECTED = () -> true;

	/**
	 * Whether the caller is still connected. Only called while the job is queued or running, under the job's
	 * lock, so never after the request has been answered (and its connection recycled).
	 * @return false once the caller has gone
	 */
	boolean connected();

}

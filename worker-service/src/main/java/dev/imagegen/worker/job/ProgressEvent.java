package dev.imagegen.worker.job;

/**
 * One progress event of a job, exactly the JSON of docs/worker-api.md ("Progress"); the same type is what the
 * Redis mode will publish.
 *
 * @param requestId the {@code X-Request-Id} of the job's {@code POST /generate}
 * @param phase the {@link Phase#id()}
 * @param queuePosition jobs ahead in the worker's queue while {@code queued} (0 = next), else null
 * @param upstreamQueuePosition Perchance's own queue position while {@code generating}, when known, else null
 */
public record ProgressEvent(String requestId, String phase, Integer queuePosition, Integer upstreamQueuePosition) {

	/**
	 * Whether this is the last event of its job.
	 * @return true for {@code done} and {@code failed}
	 */
	public boolean terminal() {
		return Phase.DONE.id().equals(this.phase) || Phase.FAILED.id().equals(this.phase);
	}

}

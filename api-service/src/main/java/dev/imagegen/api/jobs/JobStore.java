package dev.imagegen.api.jobs;

import java.util.Map;
import java.util.Optional;

/**
 * Where jobs live between their creation and {@code JOB_RETENTION} after their end. A job is found only by its id;
 * nothing lists them. In memory on one box ({@link LocalJobStore}); the Redis mode replaces it with a shared one.
 */
interface JobStore {

	/**
	 * Holds a new job.
	 * @param job the job
	 * @throws dev.imagegen.api.problem.ApiProblem {@code 503 too-many-jobs} when {@code MAX_JOBS} are held
	 */
	void add(Job job);

	/**
	 * The job with this id.
	 * @param id the id
	 * @return the job, unless unknown or expired
	 */
	Optional<Job> find(String id);

	/**
	 * Forgets a job that was never accepted (its submission failed).
	 * @param id the id
	 */
	void remove(String id);

	/**
	 * Starts a job's retention: it is forgotten {@code JOB_RETENTION} from now.
	 * @param job a job that has just ended
	 */
	void ended(Job job);

	/**
	 * How many jobs are held, by status.
	 * @return a count for each status
	 */
	Map<JobStatus, Long> countByStatus();

}

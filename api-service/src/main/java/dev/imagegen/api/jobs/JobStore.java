package dev.imagegen.api.jobs;

import java.util.Map;
import java.util.Optional;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import dev.imagegen.api.generate.ImageGenerator;

/**
 * Where jobs live between their creation and {@code JOB_RETENTION} after their end. A job is found only by its id;
 * nothing lists them. The replica that runs a job holds its {@link Job}; the store saves each of its states where
 * readers find them and answers the readers with {@link JobView}s. In memory on one box ({@link LocalJobStore});
 * shared by every replica in the Redis mode ({@link RedisJobStore}). No method blocks: each answers a
 * {@link Mono} or {@link Flux}, so that the event loop never waits on Redis.
 */
interface JobStore {

	/**
	 * Holds a new job and its first state; later states are saved as the job publishes them.
	 * @param job the job, not yet started
	 * @return completes once held; errors with {@code 503 too-many-jobs} when {@code MAX_JOBS} are held (or
	 * {@code 503 queue-unavailable} when Redis fails)
	 */
	Mono<Void> add(Job job);

	/**
	 * The live job of this id if this replica runs it (the one that can cancel its generation).
	 * @param id the id
	 * @return the job, unless unknown, expired, or run by another replica
	 */
	Optional<Job> owned(String id);

	/**
	 * The job with this id, as any replica reads it.
	 * @param id the id
	 * @return the job, or empty when unknown or expired
	 */
	Mono<JobView> find(String id);

	/**
	 * The job's states from the current one on, completing after the terminal one.
	 * @param id the id
	 * @return the states; empty when unknown or expired
	 */
	Flux<JobView> changes(String id);

	/**
	 * The image of a succeeded job.
	 * @param job a succeeded job
	 * @return the image, or empty when it has expired meanwhile
	 */
	Mono<ImageGenerator.Generated> image(JobView job);

	/**
	 * Waits until every state the job has published so far is saved where all readers find it.
	 * @param job a job this replica runs
	 * @return completes when saved (at once in memory)
	 */
	Mono<Void> saved(Job job);

	/**
	 * Cancels a job that this replica does not run (another replica's, or one whose replica is gone); a job that
	 * has ended stays as it is.
	 * @param id the id
	 * @return the job after the cancellation, or empty when unknown
	 */
	Mono<JobView> cancelElsewhere(String id);

	/**
	 * The ids of jobs this replica runs that were cancelled through another replica: the service cancels their
	 * generations.
	 * @return the ids, as they come
	 */
	Flux<String> cancelRequests();

	/**
	 * Forgets a job that was never accepted (its submission failed).
	 * @param job the job
	 * @return completes when forgotten
	 */
	Mono<Void> remove(Job job);

	/**
	 * Starts a job's retention: it is forgotten {@code JOB_RETENTION} from now.
	 * @param job a job that has just ended
	 */
	void ended(Job job);

	/**
	 * How many jobs are held, by status (in the Redis mode: the jobs this replica runs).
	 * @return a count for each status
	 */
	Map<JobStatus, Long> countByStatus();

}

package dev.imagegen.api.jobs;

import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.Ticker;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import dev.imagegen.api.cache.ImageMemory;
import dev.imagegen.api.cache.StoredImage;
import dev.imagegen.api.generate.ImageGenerator;
import dev.imagegen.api.problem.ApiProblem;
import dev.imagegen.api.problem.ProblemTypes;

/**
 * The in-memory {@link JobStore}: a Caffeine cache whose entries never expire while the job runs and expire
 * {@code JOB_RETENTION} after its end. Never evicted by size (that would lose live jobs): {@code MAX_JOBS} refuses
 * new ones instead. The images of retained jobs are counted in the direct memory budget all kept images share
 * ({@link ImageMemory}), from their end to their removal.
 */
final class LocalJobStore implements JobStore {

	/** What a full store asks the client to wait: ended jobs leave as their retention runs out. */
	static final Duration FULL_RETRY_AFTER = Duration.ofSeconds(30);

	private final Cache<String, Job> jobs;

	private final int maxJobs;

	private final Duration retention;

	/** The off-heap image bytes of each retained job that holds some, by id: what {@link #keptBytes} sums. */
	private final Map<String, Integer> kept = new ConcurrentHashMap<>();

	private final AtomicLong keptBytes = new AtomicLong();

	LocalJobStore(JobsProperties properties, Ticker ticker, ImageMemory memory) {
		this.maxJobs = properties.maxJobs();
		this.retention = properties.retention();
		long retentionNanos = properties.retention().toNanos();
		// Run on the removing thread, so that a job's bytes leave the budget as it leaves the store. A job is never
		// replaced by another under its id; ended() rewrites it in place, which is not its removal.
		this.jobs = Caffeine.newBuilder().ticker(ticker).executor(Runnable::run).removalListener((String id, Job job,
				RemovalCause cause) -> {
			if (cause != RemovalCause.REPLACED) {
				forget(id);
				// The job's reference to its image: the direct memory is freed once no answer still writes it.
				ImageGenerator.Generated result = job.result();
				if (result != null) {
					result.image().release();
				}
			}
		}).expireAfter(new Expiry<String, Job>() {
			@Override
			public long expireAfterCreate(String key, Job job, long currentTime) {
				return job.ended() ? retentionNanos : Long.MAX_VALUE;
			}

			@Override
			public long expireAfterUpdate(String key, Job job, long currentTime, long currentDuration) {
				return job.ended() ? retentionNanos : Long.MAX_VALUE;
			}

			@Override
			public long expireAfterRead(String key, Job job, long currentTime, long currentDuration) {
				return currentDuration;
			}
		}).build();
		memory.register(this.keptBytes::get);
	}

	@Override
	public Mono<Void> add(Job job) {
		return Mono.fromRunnable(() -> hold(job));
	}

	private synchronized void hold(Job job) {
		if (this.jobs.estimatedSize() >= this.maxJobs) {
			// The estimate counts expired entries until maintenance runs: run it before refusing.
			this.jobs.cleanUp();
			if (this.jobs.estimatedSize() >= this.maxJobs) {
				throw ApiProblem.of(ProblemTypes.TOO_MANY_JOBS, 503, "Too many jobs",
						"This API holds " + this.maxJobs + " jobs (MAX_JOBS), running or ended within JOB_RETENTION; "
								+ "try again when some have expired.")
					.withRetryAfter(FULL_RETRY_AFTER);
			}
		}
		this.jobs.put(job.id(), job);
	}

	@Override
	public Optional<Job> owned(String id) {
		return Optional.ofNullable(this.jobs.getIfPresent(id));
	}

	@Override
	public Mono<JobView> find(String id) {
		return Mono.fromSupplier(() -> owned(id).map(Job::view).orElse(null));
	}

	@Override
	public Flux<JobView> changes(String id) {
		return Mono.fromSupplier(() -> owned(id).orElse(null)).flatMapMany((job) -> job.changes().map(job::view));
	}

	@Override
	public Mono<ImageGenerator.Generated> image(JobView job) {
		// A reference of the reader's own (released by its answer), so that the job's expiry meanwhile cannot free
		// the bytes under it; none when the job was dropped and its image freed just now.
		return Mono.fromSupplier(() -> owned(job.id()).map(Job::result).map((result) -> {
			StoredImage mine = result.image().share();
			return (mine != null) ? new ImageGenerator.Generated(result.request(), mine, result.fingerprint(),
					result.hit(), result.age()) : null;
		}).orElse(null));
	}

	@Override
	public Mono<Void> saved(Job job) {
		return Mono.empty();
	}

	@Override
	public Mono<JobView> cancelElsewhere(String id) {
		// Every job held here is this replica's own: one that is not held is unknown.
		return Mono.empty();
	}

	@Override
	public Flux<String> cancelRequests() {
		return Flux.never();
	}

	@Override
	public Mono<Void> remove(Job job) {
		return Mono.fromRunnable(() -> this.jobs.invalidate(job.id()));
	}

	@Override
	public void ended(Job job) {
		// From "never" to JOB_RETENTION from now; a no-op when the job is no longer held.
		this.jobs.policy().expireVariably().ifPresent((expiry) -> expiry.setExpiresAfter(job.id(), this.retention));
		ImageGenerator.Generated result = job.result();
		if (result != null && result.image().isOffHeap()) {
			// Atomic with the job's removal: the bytes of a job removed meanwhile are never counted.
			this.jobs.asMap().computeIfPresent(job.id(), (id, held) -> {
				if (this.kept.putIfAbsent(id, result.image().size()) == null) {
					this.keptBytes.addAndGet(result.image().size());
				}
				return held;
			});
		}
	}

	private void forget(String id) {
		Integer size = this.kept.remove(id);
		if (size != null) {
			this.keptBytes.addAndGet(-size);
		}
	}

	/** @return the bytes of the off-heap images retained jobs hold */
	long keptBytes() {
		return this.keptBytes.get();
	}

	@Override
	public Map<JobStatus, Long> countByStatus() {
		Map<JobStatus, Long> counts = new EnumMap<>(JobStatus.class);
		for (JobStatus status : JobStatus.values()) {
			counts.put(status, 0L);
		}
		this.jobs.asMap().values().forEach((job) -> counts.merge(job.status(), 1L, Long::sum));
		return counts;
	}

}

package dev.imagegen.api.jobs;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;
import tools.jackson.databind.json.JsonMapper;

import dev.imagegen.api.ImageFixtures;
import dev.imagegen.api.cache.StoredImage;
import dev.imagegen.api.generate.GenerateRequest;
import dev.imagegen.api.generate.ImageFormat;
import dev.imagegen.api.generate.ImageGenerator;
import dev.imagegen.api.generate.Shape;
import dev.imagegen.api.problem.ApiProblem;
import dev.imagegen.api.problem.ProblemTypes;
import dev.imagegen.api.redis.RedisProperties;
import dev.imagegen.api.worker.WorkerProgress;
import dev.imagegen.testsupport.TestRedis;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceClientConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.http.MediaType;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Two replicas' {@link RedisJobStore}s over one real Redis, each with its own connections, as two API processes
 * have: what the owner of a job writes, the other reads, streams, serves and cancels; {@code MAX_JOBS} counts both;
 * a job whose owner is gone is ended from its worker's result or at its deadline; Redis down is
 * {@code 503 queue-unavailable} and the owner's latest state reaches Redis once it is back.
 */
class RedisJobStoreTests {

	static TestRedis redis;

	static final AtomicInteger PREFIXES = new AtomicInteger();

	private final JsonMapper json = JsonMapper.builder().build();

	private final List<LettuceConnectionFactory> factories = new ArrayList<>();

	private final List<RedisJobStore> stores = new ArrayList<>();

	private final RedisProperties keys = new RedisProperties(true, "t" + PREFIXES.incrementAndGet() + ":", 16);

	private final GenerateRequest request = new GenerateRequest("a red fox", "", GenerateRequest.RANDOM_SEED, 7.0,
			Shape.PORTRAIT, ImageFormat.PNG);

	@BeforeAll
	static void startRedis() {
		redis = TestRedis.start();
	}

	@AfterAll
	static void stopRedis() {
		redis.close();
	}

	@AfterEach
	void closeReplicas() {
		this.stores.forEach(RedisJobStore::destroy);
		this.factories.forEach(LettuceConnectionFactory::destroy);
	}

	private LettuceConnectionFactory factory() {
		LettuceConnectionFactory factory = new LettuceConnectionFactory(
				new RedisStandaloneConfiguration("127.0.0.1", redis.port()),
				LettuceClientConfiguration.builder().commandTimeout(Duration.ofSeconds(2)).build());
		factory.afterPropertiesSet();
		factory.start();
		this.factories.add(factory);
		return factory;
	}

	private RedisJobStore replica(Duration retention, int maxJobs) {
		JobsProperties properties = new JobsProperties(retention, maxJobs, 32, Duration.ofSeconds(10),
				Duration.ofSeconds(3), Duration.ofMillis(200));
		RedisJobStore store = new RedisJobStore(factory(), this.keys, properties, this.json, Duration.ofSeconds(5),
				Clock.systemUTC(), new SimpleMeterRegistry());
		this.stores.add(store);
		return store;
	}

	private RedisJobStore replica() {
		return replica(Duration.ofHours(1), 100);
	}

	private StringRedisTemplate plain() {
		return new StringRedisTemplate(factory());
	}

	private Job newJob() {
		return new Job(JobService.newId(), this.request, null, Clock.systemUTC());
	}

	private ImageGenerator.Generated image(long seed) {
		GenerateRequest used = this.request.withSeed(seed);
		return new ImageGenerator.Generated(used, new StoredImage(ImageFixtures.png(), MediaType.IMAGE_PNG, seed, 0),
				used.fingerprint(), false, Duration.ZERO);
	}

	private static String summary(JobView job) {
		return job.status().wireName() + "/" + job.json().get("phase") + "/" + job.json().get("upstreamQueuePosition");
	}

	@Test
	void aJobItsOwnerRunsIsReadStreamedAndServedByAnotherReplica() {
		RedisJobStore owner = replica();
		RedisJobStore other = replica();
		Job job = newJob();
		owner.add(job).block();
		assertThat(other.find(job.id()).block().status()).isEqualTo(JobStatus.QUEUED);
		StepVerifier.create(other.changes(job.id()).map(RedisJobStoreTests::summary))
			.expectNext("queued/queued/null")
			.then(() -> job.progress(new WorkerProgress("generating", null, 3)))
			.expectNext("running/generating/3")
			.then(() -> job.progress(new WorkerProgress("downloading", null, null)))
			.expectNext("running/downloading/null")
			.then(() -> job.succeed(image(4242)))
			.expectNext("succeeded/done/null")
			.expectComplete()
			.verify(Duration.ofSeconds(10));
		JobView done = other.find(job.id()).block();
		assertThat(this.json.writeValueAsString(done.json())).isEqualTo(this.json.writeValueAsString(job.view().json()));
		ImageGenerator.Generated served = other.image(done).block();
		assertThat(served.image().bytes()).isEqualTo(ImageFixtures.png());
		assertThat(served.image().seed()).isEqualTo(4242);
		assertThat(served.image().mediaType()).isEqualTo(MediaType.IMAGE_PNG);
		assertThat(served.fingerprint()).isEqualTo(this.request.withSeed(4242).fingerprint());
		// A subscriber after the end gets the terminal state at once.
		StepVerifier.create(other.changes(job.id()).map(JobView::status))
			.expectNext(JobStatus.SUCCEEDED)
			.expectComplete()
			.verify(Duration.ofSeconds(5));
	}

	@Test
	void aFailedJobKeepsItsProblemAndRetryAfterForOtherReplicas() {
		RedisJobStore owner = replica();
		RedisJobStore other = replica();
		Job job = newJob();
		owner.add(job).block();
		job.fail(ApiProblem.of(ProblemTypes.BASE + "upstream-rate-limited", 503, "Rate limited", "Slow down.")
			.withRetryAfter(Duration.ofSeconds(7)), "attempt-1");
		owner.saved(job).block();
		JobView failed = other.find(job.id()).block();
		assertThat(failed.status()).isEqualTo(JobStatus.FAILED);
		assertThat(failed.error().type()).isEqualTo(ProblemTypes.BASE + "upstream-rate-limited");
		assertThat(failed.error().status()).isEqualTo(503);
		assertThat(failed.error().retryAfter()).isEqualTo(Duration.ofSeconds(7));
	}

	@Test
	void aCancelOnAnotherReplicaEndsTheJobTellsTheOwnerAndTheWorker() {
		RedisJobStore owner = replica();
		RedisJobStore other = replica();
		List<String> requests = new CopyOnWriteArrayList<>();
		owner.cancelRequests().subscribe((id) -> {
			requests.add(id);
			owner.owned(id).ifPresent(Job::cancel);
		});
		owner.listening().block(Duration.ofSeconds(10));
		Job job = newJob();
		owner.add(job).block();
		job.dispatchedAs("0123456789abcdef0123456789abcdef", Clock.systemUTC().instant().plusSeconds(60));
		owner.saved(job).block();
		JobView cancelled = other.cancelElsewhere(job.id()).block();
		assertThat(cancelled.status()).isEqualTo(JobStatus.CANCELLED);
		assertThat(cancelled.json().get("finishedAt")).isNotNull();
		await().atMost(10, TimeUnit.SECONDS).until(() -> job.status() == JobStatus.CANCELLED);
		assertThat(requests).contains(job.id());
		StringRedisTemplate plain = plain();
		assertThat(plain.hasKey(this.keys.key("cancel", "0123456789abcdef0123456789abcdef"))).isTrue();
		assertThat(plain.getExpire(this.keys.key("cancel", "0123456789abcdef0123456789abcdef"))).isPositive();
		// The owner's own later states never overwrite the cancellation.
		job.succeed(image(1));
		owner.saved(job).block();
		assertThat(other.find(job.id()).block().status()).isEqualTo(JobStatus.CANCELLED);
		assertThat(other.cancelElsewhere(job.id()).block().status()).isEqualTo(JobStatus.CANCELLED);
		assertThat(other.cancelElsewhere("nope").blockOptional()).isEmpty();
	}

	@Test
	void aCancelOfAJobItsOwnerKeepsChangingEndsItCancelled() throws InterruptedException {
		RedisJobStore owner = replica();
		RedisJobStore other = replica();
		owner.cancelRequests().subscribe((id) -> owner.owned(id).ifPresent(Job::cancel));
		owner.listening().block(Duration.ofSeconds(10));
		// Several jobs, since how often the other replica's compare-and-set loses depends on timing.
		for (int round = 0; round < 8; round++) {
			Job job = newJob();
			owner.add(job).block();
			job.dispatchedAs("fedcba9876543210fedcba987654321" + round, Clock.systemUTC().instant().plusSeconds(60));
			owner.saved(job).block();
			// A new state every few hundred microseconds: the other replica's compare-and-set often loses every
			// attempt, and then it has to ask the owner, which cancels the job itself.
			long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
			Thread busy = new Thread(() -> {
				for (int position = 1; job.status() != JobStatus.CANCELLED && System.nanoTime() < until; position++) {
					job.progress(new WorkerProgress("generating", null, position));
					LockSupport.parkNanos(100_000);
				}
			}, "busy-owner");
			busy.setDaemon(true);
			busy.start();
			try {
				LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
				JobView cancelled = other.cancelElsewhere(job.id()).block(Duration.ofSeconds(15));
				assertThat(cancelled.status()).as("round %d", round).isEqualTo(JobStatus.CANCELLED);
				await().atMost(10, TimeUnit.SECONDS).until(() -> job.status() == JobStatus.CANCELLED);
				await().atMost(10, TimeUnit.SECONDS)
					.until(() -> other.find(job.id()).block().status() == JobStatus.CANCELLED);
			}
			finally {
				busy.join(Duration.ofSeconds(10).toMillis());
			}
		}
	}

	@Test
	void theOwnersHeartbeatFindsACancellationWhoseMessageWasLost() {
		RedisJobStore owner = replica();
		List<String> requests = new CopyOnWriteArrayList<>();
		owner.cancelRequests().subscribe(requests::add);
		Job job = newJob();
		owner.add(job).block();
		// As a cancellation written by a replica whose message never arrived (pub/sub delivers at most once).
		plain().opsForHash().put(this.keys.key("job", job.id()), "terminal", "1");
		await().atMost(10, TimeUnit.SECONDS).until(() -> requests.contains(job.id()));
	}

	@Test
	void anEndedJobIsGoneForEveryReplicaAfterItsRetention() {
		RedisJobStore owner = replica(Duration.ofSeconds(1), 100);
		RedisJobStore other = replica(Duration.ofSeconds(1), 100);
		Job job = newJob();
		owner.add(job).block();
		StringRedisTemplate plain = plain();
		assertThat(plain.getExpire(this.keys.key("job", job.id()))).isEqualTo(-1);
		job.succeed(image(3));
		owner.saved(job).block();
		assertThat(other.find(job.id()).block().status()).isEqualTo(JobStatus.SUCCEEDED);
		assertThat(plain.getExpire(this.keys.key("jobimage", job.id()), TimeUnit.MILLISECONDS)).isPositive();
		await().atMost(10, TimeUnit.SECONDS).until(() -> other.find(job.id()).blockOptional().isEmpty());
		assertThat(plain.hasKey(this.keys.key("jobimage", job.id()))).isFalse();
	}

	@Test
	void maxJobsCountsTheJobsOfEveryReplica() {
		RedisJobStore first = replica(Duration.ofSeconds(1), 2);
		RedisJobStore second = replica(Duration.ofSeconds(1), 2);
		Job one = newJob();
		first.add(one).block();
		second.add(newJob()).block();
		assertThatThrownBy(() -> first.add(newJob()).block()).isInstanceOfSatisfying(ApiProblem.class, (problem) -> {
			assertThat(problem.type()).isEqualTo(ProblemTypes.TOO_MANY_JOBS);
			assertThat(problem.status()).isEqualTo(503);
			assertThat(problem.retryAfter()).isNotNull();
		});
		// An ended job stops counting when its retention ends.
		one.cancel();
		first.saved(one).block();
		await().atMost(10, TimeUnit.SECONDS).ignoreExceptions().until(() -> {
			second.add(newJob()).block();
			return true;
		});
	}

	@Test
	void aJobWhoseOwnerIsGoneIsEndedFromItsWorkersResult() {
		RedisJobStore owner = replica();
		RedisJobStore other = replica();
		Job job = newJob();
		owner.add(job).block();
		String gen = "fedcba9876543210fedcba9876543210";
		job.dispatchedAs(gen, Clock.systemUTC().instant().plusSeconds(60));
		job.progress(new WorkerProgress("generating", null, null));
		owner.saved(job).block();
		owner.destroy();
		assertThat(other.find(job.id()).block().status()).isEqualTo(JobStatus.RUNNING);
		// The worker stores the result as docs/architecture.md says (HSET, then the result message).
		StringRedisTemplate plain = plain();
		plain.opsForHash().putAll(this.keys.key("result", gen), Map.of("status", "200", "contentType", "image/png",
				"seed", "77", "worker", "w1"));
		new org.springframework.data.redis.core.RedisTemplate<String, byte[]>() {
			{
				setConnectionFactory(factory());
				setKeySerializer(org.springframework.data.redis.serializer.RedisSerializer.string());
				setHashKeySerializer(org.springframework.data.redis.serializer.RedisSerializer.string());
				setHashValueSerializer(org.springframework.data.redis.serializer.RedisSerializer.byteArray());
				afterPropertiesSet();
			}
		}.opsForHash().put(this.keys.key("result", gen), "image", ImageFixtures.png());
		JobView done = other.find(job.id()).block();
		assertThat(done.status()).isEqualTo(JobStatus.SUCCEEDED);
		assertThat(done.json().get("seed")).isEqualTo(77);
		assertThat(done.json().get("image")).isEqualTo("/jobs/" + job.id() + "/image");
		ImageGenerator.Generated served = other.image(done).block();
		assertThat(served.image().bytes()).isEqualTo(ImageFixtures.png());
		assertThat(served.image().seed()).isEqualTo(77);
		// A replica started later (a restart) serves it too.
		RedisJobStore restarted = replica();
		assertThat(restarted.image(restarted.find(job.id()).block()).block().image().bytes())
			.isEqualTo(ImageFixtures.png());
		assertThat(plain.getExpire(this.keys.key("job", job.id()))).isPositive();
	}

	@Test
	void aJobWhoseOwnerIsGoneFailsWithTheWorkersProblemOrAtItsDeadline() {
		RedisJobStore owner = replica();
		RedisJobStore other = replica();
		Job problem = newJob();
		Job late = newJob();
		Job undispatched = newJob();
		for (Job job : List.of(problem, late, undispatched)) {
			owner.add(job).block();
		}
		problem.dispatchedAs("11111111111111111111111111111111", Clock.systemUTC().instant().plusSeconds(60));
		late.dispatchedAs("22222222222222222222222222222222", Clock.systemUTC().instant().plusMillis(1500));
		owner.saved(problem).block();
		owner.saved(late).block();
		owner.destroy();
		plain().opsForHash().putAll(this.keys.key("result", "11111111111111111111111111111111"),
				Map.of("status", "503", "worker", "w1", "retryAfter", "9", "problem",
						"{\"type\":\"https://imagegen.dev/problems/upstream-rate-limited\",\"title\":\"Rate limited\","
								+ "\"status\":503,\"detail\":\"Slow down.\"}"));
		JobView failed = other.find(problem.id()).block();
		assertThat(failed.status()).isEqualTo(JobStatus.FAILED);
		assertThat(failed.error().type()).isEqualTo(ProblemTypes.BASE + "upstream-rate-limited");
		assertThat(failed.error().retryAfter()).isEqualTo(Duration.ofSeconds(9));
		// Never sent to the shared queue: it can no longer get there.
		JobView lost = other.find(undispatched.id()).block();
		assertThat(lost.status()).isEqualTo(JobStatus.FAILED);
		assertThat(lost.error().status()).isEqualTo(503);
		// No result: it stays running until its deadline, then fails 504 deadline-exceeded; a stream sees that.
		StepVerifier.create(other.changes(late.id()).map(JobView::status).filter(JobStatus::terminal))
			.expectNext(JobStatus.FAILED)
			.expectComplete()
			.verify(Duration.ofSeconds(10));
		JobView timedOut = other.find(late.id()).block();
		assertThat(timedOut.error().type()).isEqualTo(ProblemTypes.DEADLINE_EXCEEDED);
		assertThat(timedOut.error().status()).isEqualTo(504);
	}

	@Test
	void redisDownIsQueueUnavailableAndTheOwnersLatestStateArrivesWhenItIsBack() {
		RedisJobStore owner = replica();
		RedisJobStore other = replica();
		Job job = newJob();
		owner.add(job).block();
		redis.pause();
		try {
			assertThatThrownBy(() -> other.find(job.id()).block()).isInstanceOfSatisfying(ApiProblem.class,
					(problem) -> {
						assertThat(problem.type()).isEqualTo(ProblemTypes.QUEUE_UNAVAILABLE);
						assertThat(problem.retryAfter()).isEqualTo(Duration.ofSeconds(5));
					});
			assertThatThrownBy(() -> other.add(newJob()).block()).isInstanceOfSatisfying(ApiProblem.class,
					(problem) -> assertThat(problem.type()).isEqualTo(ProblemTypes.QUEUE_UNAVAILABLE));
			job.progress(new WorkerProgress("generating", null, 5));
		}
		finally {
			redis.resume();
		}
		// Redis came back empty (no persistence): the owner's retried write brings the job back.
		await().atMost(30, TimeUnit.SECONDS)
			.ignoreExceptions()
			.until(() -> summary(other.find(job.id()).block()).equals("running/generating/5"));
		// The heartbeat is back too: the owner's jobs are not taken for orphans.
		StringRedisTemplate plain = plain();
		await().atMost(10, TimeUnit.SECONDS)
			.until(() -> owner.replicaId().equals(plain.opsForValue().get(this.keys.key("api", owner.replicaId()))));
	}

}

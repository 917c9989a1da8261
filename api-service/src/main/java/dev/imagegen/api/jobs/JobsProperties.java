package dev.imagegen.api.jobs;

import java.time.Duration;

import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import org.hibernate.validator.constraints.time.DurationMin;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Asynchronous jobs, bound from {@code imagegen.jobs.*} ({@code application.yml} maps the variables).
 *
 * @param retention how long a job stays readable after its end ({@code JOB_RETENTION}, default 1h)
 * @param maxJobs the most jobs held at once, running or ended ({@code MAX_JOBS}, default 10000); beyond it
 * {@code POST /jobs} answers {@code 503 too-many-jobs}
 * @param maxRunning the most jobs sent to workers at once; the others wait in the API, in order, with a queue
 * position (a burst of jobs must not overflow the workers' own bounded queues)
 * @param keepAlive the interval of the comment line on an idle event stream (below the 15 s the API promises)
 * @param ownerHeartbeat Redis mode: the lifetime of a replica's heartbeat key ({@code P:api:{replicaId}}), refreshed
 * every third of it; a running job whose replica's key is gone is resolved by whichever replica reads it
 * @param poll Redis mode: how often an open event stream re-reads its job from Redis, so that a message lost
 * while the subscription reconnected costs at most this, and a job whose replica is gone is resolved
 */
@Validated
@ConfigurationProperties("imagegen.jobs")
public record JobsProperties(
		@DefaultValue("1h") @NotNull @DurationMin(seconds = 1, message = "JOB_RETENTION must be at least 1s") Duration retention,
		@DefaultValue("10000") @Min(value = 1, message = "MAX_JOBS must be at least 1") int maxJobs,
		@DefaultValue("32") @Min(value = 1, message = "imagegen.jobs.max-running must be at least 1") int maxRunning,
		@DefaultValue("10s") @NotNull @DurationMin(millis = 10,
				message = "imagegen.jobs.keep-alive must be at least 10ms") Duration keepAlive,
		@DefaultValue("15s") @NotNull @DurationMin(millis = 300,
				message = "imagegen.jobs.owner-heartbeat must be at least 300ms") Duration ownerHeartbeat,
		@DefaultValue("5s") @NotNull @DurationMin(millis = 50,
				message = "imagegen.jobs.poll must be at least 50ms") Duration poll) {
}

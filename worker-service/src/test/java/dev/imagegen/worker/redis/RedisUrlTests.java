package dev.imagegen.worker.redis;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import dev.imagegen.worker.WorkerApplication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNoException;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * A malformed {@code REDIS_URL} stops start-up naming the variable and never printing its password.
 */
@ExtendWith(OutputCaptureExtension.class)
class RedisUrlTests {

	@Test
	void aMalformedUrlStopsStartUpNamingTheVariableWithoutItsPassword(CapturedOutput output) {
		Throwable failure = catchThrowable(() -> new SpringApplicationBuilder(WorkerApplication.class)
			.web(WebApplicationType.NONE)
			.properties("REDIS_URL=redis://admin:s3cret-pass@redis-host:port6379", "spring.main.banner-mode=off")
			.run()
			.close());

		assertThat(failure).isInstanceOf(InvalidRedisUrlException.class);
		FailureAnalysis analysis = new RedisUrlFailureAnalyzer().analyze(failure);
		assertThat(analysis).isNotNull();
		assertThat(analysis.getDescription()).isEqualTo("Invalid worker configuration: REDIS_URL "
				+ "(spring.data.redis.url) has no valid host and port; expected redis://[user:password@]host:port[/db] "
				+ "or rediss://… (the value is not shown: it may hold a password)");
		assertThat(analysis.getAction()).startsWith("Fix the environment variable REDIS_URL");
		assertThat(output.getAll()).contains("REDIS_URL").doesNotContain("s3cret");
	}

	@ParameterizedTest
	@ValueSource(strings = { "http://redis-host:6379", "redis://user:s3cret@", "redis://:s3cret",
			"redis://redis-host:6379/zero", "redis ://user:s3cret@redis-host", "redis://user:s3cret@redis-host:99999" })
	void badUrlsAreRefusedWithoutQuotingThem(String url) {
		InvalidRedisUrlException invalid = catchThrowableOfType(InvalidRedisUrlException.class,
				() -> RedisModeEnvironment.check(url));

		assertThat(invalid).as(url).isNotNull();
		assertThat(invalid.getMessage()).startsWith("REDIS_URL (spring.data.redis.url) ").doesNotContain("s3cret", url);
	}

	@ParameterizedTest
	@ValueSource(strings = { "redis://127.0.0.1:6379", "rediss://user:pw@redis.example:6380/2", "redis://redis-host",
			"redis://redis-host:6379/" })
	void goodUrlsPass(String url) {
		assertThatNoException().isThrownBy(() -> RedisModeEnvironment.check(url));
	}

}

package dev.imagegen.worker.redis;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ApplicationContext;

import dev.imagegen.worker.support.NoBrowserWorker;
import dev.imagegen.worker.support.RawHttp;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Without {@code REDIS_URL} the worker has nothing of the Redis mode: no pull loops, no Lettuce client, no
 * {@code redis} member on {@code /health}.
 */
class DirectModeTests extends NoBrowserWorker {

	@Autowired
	private ApplicationContext context;

	@Test
	void noRedisBeansAndNoRedisMemberOnHealth() throws Exception {
		assertThat(this.context.getBeansOfType(RedisWorker.class)).isEmpty();
		assertThat(this.context.getBeanNamesForType(
				org.springframework.data.redis.connection.RedisConnectionFactory.class)).isEmpty();
		assertThat(this.context.getEnvironment().getProperty(RedisModeEnvironment.ENABLED)).isEqualTo("false");

		JsonNode health = JsonMapper.builder().build().readTree(RawHttp.get(this.port, "/health").body());
		assertThat(health.has("sessions")).isTrue();
		assertThat(health.has("redis")).isFalse();
	}

}

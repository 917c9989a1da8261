package dev.imagegen.worker.redis;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.util.StringUtils;

/**
 * Decides the mode once, before any bean exists: with {@code REDIS_URL} (Boot's {@code spring.data.redis.url})
 * the Redis mode is on and {@code imagegen.redis.enabled} is {@code true}, the switch every Redis bean is
 * conditional on. Without it Boot's Redis auto-configuration is excluded, so the default direct mode creates no
 * Lettuce client, no event-loop threads and no Redis health contributor: it stays exactly what it was.
 */
public class RedisModeEnvironment implements EnvironmentPostProcessor, Ordered {

	static final String SOURCE = "imagegenRedisMode";

	/** The property every Redis-mode bean is conditional on ({@code @ConditionalOnBooleanProperty}). */
	public static final String ENABLED = "imagegen.redis.enabled";

	private static final List<String> REDIS_AUTO_CONFIGURATIONS = List.of(
			"org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration",
			"org.springframework.boot.data.redis.autoconfigure.DataRedisReactiveAutoConfiguration",
			"org.springframework.boot.data.redis.autoconfigure.DataRedisRepositoriesAutoConfiguration",
			"org.springframework.boot.data.redis.autoconfigure.health.DataRedisHealthContributorAutoConfiguration",
			"org.springframework.boot.data.redis.autoconfigure.health.DataRedisReactiveHealthContributorAutoConfiguration",
			"org.springframework.boot.data.redis.autoconfigure.observation.LettuceObservationAutoConfiguration");

	@Override
	public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
		boolean enabled = StringUtils.hasText(environment.getProperty("spring.data.redis.url"));
		Map<String, Object> settings = new HashMap<>();
		settings.put(ENABLED, Boolean.toString(enabled));
		if (!enabled) {
			List<String> excluded = new ArrayList<>(REDIS_AUTO_CONFIGURATIONS);
			String own = environment.getProperty("spring.autoconfigure.exclude");
			if (StringUtils.hasText(own)) {
				excluded.addAll(Arrays.asList(StringUtils.commaDelimitedListToStringArray(own)));
			}
			settings.put("spring.autoconfigure.exclude", String.join(",", excluded));
		}
		// First: the mode follows REDIS_URL, not a stray property of the same name.
		environment.getPropertySources().addFirst(new MapPropertySource(SOURCE, settings));
	}

	@Override
	public int getOrder() {
		// After the config data (application.yml, which maps REDIS_URL) has been loaded.
		return Ordered.LOWEST_PRECEDENCE;
	}

}

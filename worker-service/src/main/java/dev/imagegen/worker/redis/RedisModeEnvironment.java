package dev.imagegen.worker.redis;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

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

	private static final Pattern DATABASE = Pattern.compile("/?|/[0-9]{1,5}");

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
		String url = environment.getProperty("spring.data.redis.url");
		boolean enabled = StringUtils.hasText(url);
		if (enabled) {
			// Before any bean: Boot's own check would log the whole URL, password included, as the context fails.
			check(url.trim());
		}
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

	/**
	 * Checks {@code REDIS_URL} as Boot reads it: a URI with the scheme {@code redis} or {@code rediss}, a host, an
	 * optional port and an optional database number.
	 * @param url the value
	 * @throws InvalidRedisUrlException naming the variable, never quoting the value
	 */
	static void check(String url) {
		String problem;
		try {
			URI uri = new URI(url);
			if (!"redis".equals(uri.getScheme()) && !"rediss".equals(uri.getScheme())) {
				problem = "must start with redis:// or rediss://";
			}
			else if (uri.getHost() == null) {
				problem = "has no valid host and port";
			}
			else if (uri.getPort() == 0 || uri.getPort() > 65535) {
				problem = "has a port outside 1..65535";
			}
			else if (uri.getPath() != null && !uri.getPath().isEmpty() && !DATABASE.matcher(uri.getPath()).matches()) {
				problem = "has a path that is not a database number";
			}
			else {
				return;
			}
		}
		catch (URISyntaxException ex) {
			problem = "is not a valid URL";
		}
		throw new InvalidRedisUrlException("REDIS_URL (spring.data.redis.url) " + problem
				+ "; expected redis://[user:password@]host:port[/db] or rediss://… (the value is not shown: it may "
				+ "hold a password)");
	}

	@Override
	public int getOrder() {
		// After the config data (application.yml, which maps REDIS_URL) has been loaded.
		return Ordered.LOWEST_PRECEDENCE;
	}

}

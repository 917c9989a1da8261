package dev.imagegen.api.config;

import java.net.URI;
import java.net.URISyntaxException;

import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.util.StringUtils;

/**
 * Checks {@code REDIS_URL} before any bean exists. Boot would reject a malformed one only while building its Redis
 * connection factory, and by then the exception text, which quotes the URL and so its password, is logged by the
 * context's refresh. Failing here names the variable and never the value ({@link EnvironmentVariableFailureAnalyzer}
 * turns the message into the start-up report). The rules are Boot's: a {@code redis://} or {@code rediss://} URL,
 * plus a host, without which Boot would silently connect to localhost.
 */
public class RedisUrlCheck implements EnvironmentPostProcessor, Ordered {

	static final String MESSAGE = "REDIS_URL must be a redis:// or rediss:// URL with a host, e.g. redis://redis:6379 "
			+ "(the value is not shown: it may hold a password)";

	@Override
	public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
		String url = environment.getProperty("spring.data.redis.url");
		if (StringUtils.hasText(url) && !valid(url.trim())) {
			throw new IllegalArgumentException(MESSAGE);
		}
	}

	static boolean valid(String url) {
		try {
			URI uri = new URI(url);
			return ("redis".equals(uri.getScheme()) || "rediss".equals(uri.getScheme())) && uri.getHost() != null
					&& !uri.getHost().isEmpty();
		}
		catch (URISyntaxException ex) {
			return false;
		}
	}

	@Override
	public int getOrder() {
		// After the config data (application.yml maps REDIS_URL onto spring.data.redis.url).
		return Ordered.LOWEST_PRECEDENCE;
	}

}

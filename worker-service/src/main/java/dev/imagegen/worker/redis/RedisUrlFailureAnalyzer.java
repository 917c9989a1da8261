package dev.imagegen.worker.redis;

import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.diagnostics.FailureAnalyzer;
import org.springframework.core.Ordered;

/**
 * Reports a malformed {@code REDIS_URL} by the variable's name and never with its password. It runs before
 * Boot's own analyzer of {@code DataRedisUrlSyntaxException}, whose description quotes the whole URL.
 */
class RedisUrlFailureAnalyzer implements FailureAnalyzer, Ordered {

	private static final String BOOT_URL_FAILURE = "DataRedisUrlSyntaxException";

	private static final String ACTION = "Fix the environment variable REDIS_URL (redis://[user:password@]host:port[/db] "
			+ "or rediss://…, see docs/configuration.md) and start the worker again.";

	@Override
	public FailureAnalysis analyze(Throwable failure) {
		for (Throwable t = failure; t != null; t = t.getCause()) {
			if (t instanceof InvalidRedisUrlException invalid) {
				return new FailureAnalysis("Invalid worker configuration: " + invalid.getMessage(), ACTION, invalid);
			}
			if (t.getClass().getSimpleName().equals(BOOT_URL_FAILURE)) {
				// Boot's message holds the URL: describe it without the value.
				return new FailureAnalysis("Invalid worker configuration: REDIS_URL (spring.data.redis.url) is not a "
						+ "valid Redis URL (the value is not shown: it may hold a password)", ACTION, null);
			}
		}
		return null;
	}

	@Override
	public int getOrder() {
		return Ordered.HIGHEST_PRECEDENCE;
	}

}

package dev.imagegen.api.redis;

import dev.imagegen.testsupport.TestRedis;

/**
 * Turns the Redis mode on for one Spring test class. The mode is decided while the environment is prepared
 * ({@link RedisModeEnvironment}), before {@code @DynamicPropertySource} values exist, so the URL goes in as a
 * system property: set in {@code @BeforeAll} (before the class's context is created) and cleared in
 * {@code @AfterAll}, so that no other class's context sees it (test classes run one after another).
 */
public final class RedisModeSwitch {

	static final String URL = "spring.data.redis.url";

	private RedisModeSwitch() {
	}

	/**
	 * @param redis the server the next context connects to
	 */
	public static void on(TestRedis redis) {
		System.setProperty(URL, redis.url());
	}

	/** Back to the direct mode for every context created from now on. */
	public static void off() {
		System.clearProperty(URL);
	}

}

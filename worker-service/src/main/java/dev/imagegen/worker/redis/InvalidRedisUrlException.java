package dev.imagegen.worker.redis;

/**
 * {@code REDIS_URL} is not a Redis URL. Its message names the variable and what is wrong, never the value, so a
 * password never reaches a log.
 */
public class InvalidRedisUrlException extends IllegalArgumentException {

	/**
	 * Creates the failure.
	 * @param message what is wrong, without the password
	 */
	InvalidRedisUrlException(String message) {
		super(message);
	}

}

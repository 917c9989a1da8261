package dev.imagegen.worker.generate;

import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

import dev.imagegen.worker.problem.Problem;
import dev.imagegen.worker.problem.WorkerException;
import dev.imagegen.worker.problem.WorkerException.FieldError;

/**
 * The job's deadline: the smaller of the caller's remaining budget ({@code X-Deadline-Ms}, whole milliseconds,
 * sent by the api-service) and the worker's own {@code GENERATION_TIMEOUT}. Every step of the job (queue wait,
 * key, generate, await, download) spends from it (docs/worker-api.md, "Deadline").
 */
final class Deadlines {

	/** The header with the caller's remaining budget in milliseconds. */
	static final String HEADER = "X-Deadline-Ms";

	private static final Pattern DIGITS = Pattern.compile("[0-9]{1,10}");

	private static final String RULE = "must be a whole number of milliseconds from 1 to 2147483647";

	private Deadlines() {
	}

	static Duration of(String header, Duration generationTimeout) {
		Duration caller = callerBudget(header);
		if (caller == null) {
			return generationTimeout;
		}
		return (caller.compareTo(generationTimeout) < 0) ? caller : generationTimeout;
	}

	/**
	 * The caller's budget from the header.
	 * @param header the header's value, or null
	 * @return the budget, or null without the header
	 * @throws WorkerException {@code invalid-request} naming the header when it is malformed
	 */
	static Duration callerBudget(String header) {
		if (header == null) {
			return null;
		}
		String value = header.trim();
		long millis = DIGITS.matcher(value).matches() ? Long.parseLong(value) : -1;
		if (millis < 1 || millis > Integer.MAX_VALUE) {
			throw new WorkerException(Problem.INVALID_REQUEST, "The header " + HEADER + " is invalid.", null,
					List.of(new FieldError(HEADER, RULE)));
		}
		return Duration.ofMillis(millis);
	}

}

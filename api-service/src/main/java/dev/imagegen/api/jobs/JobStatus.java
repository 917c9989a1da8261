package dev.imagegen.api.jobs;

import java.util.Locale;

/**
 * Where a job is in its life; the last three are terminal.
 */
enum JobStatus {

	QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED;

	/** The name in the job's JSON and in metric tags. */
	String wireName() {
		return name().toLowerCase(Locale.ROOT);
	}

	boolean terminal() {
		return this == SUCCEEDED || this == FAILED || this == CANCELLED;
	}

}

package dev.imagegen.worker.job;

import java.util.Locale;

/**
 * What a job is doing, as its progress events report it (docs/worker-api.md, "Progress").
 */
public enum Phase {

	/** Waiting in the worker's queue. */
	QUEUED,
	/** A session is preparing the browser or the user key for it. */
	STARTING,
	/** The generate call, including waiting for an earlier generation of the key. */
	GENERATING,
	/** Fetching and checking the image. */
	DOWNLOADING,
	/** Answered with an image. */
	DONE,
	/** Answered with a problem, or cancelled. */
	FAILED;

	/**
	 * The name on the wire.
	 * @return e.g. {@code generating}
	 */
	public String id() {
		return name().toLowerCase(Locale.ROOT);
	}

	/**
	 * Whether no event follows this one.
	 * @return true for {@code done} and {@code failed}
	 */
	public boolean terminal() {
		return this == DONE || this == FAILED;
	}

}

package dev.imagegen.worker.progress;

import java.io.IOException;

import dev.imagegen.worker.job.ProgressEvent;

/**
 * One open progress stream. Called only from the board's sender thread, one call at a time.
 */
interface ProgressSubscriber {

	/**
	 * Sends one event.
	 * @param event the event
	 * @throws IOException when the subscriber has gone
	 */
	void send(ProgressEvent event) throws IOException;

	/**
	 * Sends a keep-alive comment.
	 * @throws IOException when the subscriber has gone
	 */
	void keepAlive() throws IOException;

	/** Ends the stream (after the terminal event). */
	void complete();

}

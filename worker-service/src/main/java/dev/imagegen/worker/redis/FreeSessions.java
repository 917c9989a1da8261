package dev.imagegen.worker.redis;

import dev.imagegen.worker.browser.SessionPool;
import dev.imagegen.worker.browser.SessionSnapshot;

/**
 * Lets a pull loop read only while a browser session is free to take what it reads: a session that is ready
 * (not busy, not relaunching), and not already spoken for by a job waiting in the pool's queue (an HTTP job, or
 * an entry another loop submitted) or by another loop's read in flight. Each loop holds at most one entry, and
 * there are as many loops as sessions, so the worker never holds more entries than it has sessions.
 */
final class FreeSessions {

	private final SessionPool pool;

	// Guarded by this: loops between their decision to read and handing the entry to the pool.
	private int reading;

	FreeSessions(SessionPool pool) {
		this.pool = pool;
	}

	/**
	 * Reserves a free session for one read.
	 * @return a reservation to release once the entry is in the pool's queue (or none came), or null when no
	 * session is free
	 */
	synchronized Reservation tryReserve() {
		SessionPool.PoolSnapshot snapshot = this.pool.snapshot();
		if (!this.pool.isRunning() || "DOWN".equals(snapshot.status())) {
			return null;
		}
		long free = snapshot.sessions().stream().filter(FreeSessions::free).count();
		if (free - snapshot.depth() - this.reading <= 0) {
			return null;
		}
		this.reading++;
		return new Reservation();
	}

	// Ready, not merely able to serve: a session relaunching its browser as planned (recycling) can serve, but an
	// entry read for it would wait the second or two of the relaunch while another worker may have a session free.
	private static boolean free(SessionSnapshot session) {
		return session.canServe() && "ready".equals(session.state());
	}

	private synchronized void release() {
		this.reading--;
	}

	/** One loop's claim on a free session; releasing it twice changes nothing. */
	final class Reservation {

		private boolean released;

		/** The entry is in the pool's queue, or the read brought none. */
		void release() {
			if (!this.released) {
				this.released = true;
				FreeSessions.this.release();
			}
		}

	}

}

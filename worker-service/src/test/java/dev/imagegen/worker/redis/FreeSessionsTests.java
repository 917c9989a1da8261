package dev.imagegen.worker.redis;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.imagegen.worker.browser.SessionPool;
import dev.imagegen.worker.browser.SessionSnapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.BDDMockito.given;
import static org.mockito.Mockito.mock;

/**
 * A pull loop reads only for a session that is free: not busy, not taken by a queued job (HTTP or an entry) and
 * not reserved by another loop's read. So the worker never holds more entries than it can run.
 */
class FreeSessionsTests {

	private final SessionPool pool = mock(SessionPool.class);

	private final FreeSessions free = new FreeSessions(this.pool);

	@Test
	void oneFreeSessionAllowsOneReadAtATime() {
		pool("UP", 0, session("ready", true), session("busy", true));

		FreeSessions.Reservation first = this.free.tryReserve();
		assertThat(first).isNotNull();
		assertThat(this.free.tryReserve()).as("the other session is busy").isNull();

		first.release();
		first.release();
		FreeSessions.Reservation again = this.free.tryReserve();
		assertThat(again).as("released once, whatever the calls").isNotNull();
		assertThat(this.free.tryReserve()).isNull();
	}

	@Test
	void aQueuedJobTakesTheFreeSessionFirst() {
		pool("UP", 1, session("ready", true), session("ready", true));

		assertThat(this.free.tryReserve()).isNotNull();
		assertThat(this.free.tryReserve()).as("two free sessions, one spoken for by the queued job").isNull();
	}

	@Test
	void sessionsThatCannotServeOrADrainingPoolAllowNoRead() {
		pool("DEGRADED", 0, session("restarting", false));
		assertThat(this.free.tryReserve()).isNull();

		pool("DOWN", 0, session("ready", true));
		assertThat(this.free.tryReserve()).as("draining for shutdown").isNull();
	}

	@Test
	void aSessionRelaunchingItsBrowserAsPlannedIsNotFree() {
		pool("UP", 0, session("recycling", true));
		assertThat(this.free.tryReserve()).as("it can serve, but only after its relaunch").isNull();

		pool("UP", 0, session("recycling", true), session("ready", true));
		assertThat(this.free.tryReserve()).isNotNull();
		assertThat(this.free.tryReserve()).isNull();
	}

	private void pool(String status, int depth, SessionSnapshot... sessions) {
		given(this.pool.isRunning()).willReturn(true);
		given(this.pool.snapshot()).willReturn(new SessionPool.PoolSnapshot(status, List.of(sessions), depth, 16));
	}

	private static SessionSnapshot session(String state, boolean canServe) {
		return new SessionSnapshot("session-x", state, null, null, null,
				new SessionSnapshot.BreakerSnapshot("closed", null, null), false, canServe);
	}

}

package dev.imagegen.api.redis;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;

import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * One Lettuce connection with a binary codec for the API's shared tiers (image bytes in {@code P:img:},
 * Bucket4j's state in {@code P:limits:}, leases in {@code P:leases:}), used through Lettuce's asynchronous API so
 * that no event-loop thread ever waits on Redis.
 * <p>
 * It is connected on first use, on a thread that may block (Lettuce's connect is synchronous), never on the
 * event loop and never at start-up: an API that starts while Redis is down answers {@code 503} until Redis is
 * there, instead of refusing to start. A failed connect is not remembered, so the next use tries again; once
 * connected, Lettuce reconnects the same connection by itself after an outage.
 */
public final class LazyRedisConnection implements AutoCloseable {

	/** Reactor's "cache forever". */
	private static final Duration FOREVER = Duration.ofMillis(Long.MAX_VALUE);

	private final Mono<StatefulRedisConnection<byte[], byte[]>> connection;

	private final Duration timeout;

	private volatile StatefulRedisConnection<byte[], byte[]> connected;

	/**
	 * @param connect opens the connection (may block); called again after a failure
	 * @param timeout the longest one operation may take, the connect included (the command timeout)
	 */
	public LazyRedisConnection(Supplier<StatefulRedisConnection<byte[], byte[]>> connect, Duration timeout) {
		this.timeout = timeout;
		this.connection = Mono.fromCallable(() -> {
			StatefulRedisConnection<byte[], byte[]> opened = connect.get();
			this.connected = opened;
			return opened;
		}).subscribeOn(Schedulers.boundedElastic()).cache((opened) -> FOREVER, (failure) -> Duration.ZERO,
				() -> Duration.ZERO);
	}

	/**
	 * @return the connection, connecting first if needed (shared by concurrent callers)
	 */
	public Mono<StatefulRedisConnection<byte[], byte[]>> connection() {
		return this.connection;
	}

	/**
	 * Runs one asynchronous command (or script), bounded by the command timeout.
	 * @param <T> the command's result
	 * @param command issues the command on the connection's asynchronous API
	 * @return its result; empty for a {@code null} result; an error when Redis failed or did not answer in time
	 */
	public <T> Mono<T> run(Function<RedisAsyncCommands<byte[], byte[]>, CompletionStage<T>> command) {
		return open().flatMap((opened) -> Mono.fromCompletionStage(() -> command.apply(opened.async())))
			.timeout(this.timeout);
	}

	/**
	 * The connection if it is up now: while Lettuce reconnects, a command would wait in its queue for the whole
	 * timeout and then run late (a lease taken for a caller long gone), so failing at once is better, and
	 * answers the {@code 503} at once.
	 * @return the connection, or an error when it is down
	 */
	public Mono<StatefulRedisConnection<byte[], byte[]>> open() {
		return this.connection.flatMap((opened) -> opened.isOpen() ? Mono.just(opened)
				: Mono.error(new RedisConnectionException("Redis connection lost; Lettuce is reconnecting")));
	}

	/**
	 * @return the longest one operation may take
	 */
	public Duration timeout() {
		return this.timeout;
	}

	/** Closes the connection if it was opened. */
	@Override
	public void close() {
		StatefulRedisConnection<byte[], byte[]> opened = this.connected;
		if (opened != null) {
			opened.close();
		}
	}

}

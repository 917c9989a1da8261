package dev.imagegen.worker.redis;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

import io.lettuce.core.Consumer;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XAutoClaimArgs;
import io.lettuce.core.XClaimArgs;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.models.stream.ClaimedMessages;
import io.lettuce.core.models.stream.PendingMessage;

/**
 * The worker's Redis commands on the wire of docs/architecture.md ("Scale-out on Redis"), through Lettuce's
 * own client: Spring Data Redis does not wrap {@code XAUTOCLAIM}. One shared connection serves the short
 * commands of every thread; each pull loop has a {@link Reader} of its own for the blocking read and the
 * script that ends an entry with its result (up to megabytes), which would otherwise hold up the others'
 * commands. The shared connection's commands have the client's timeout (2 s); a reader's, the blocking read
 * and the result script, 2 s beyond the read's {@code BLOCK}. Connections are made on first
 * use and again after a failure, so a worker that starts while Redis is down connects once it is back.
 */
final class WorkStream implements AutoCloseable {

	/** The consumer group of the work stream. */
	static final String GROUP = "workers";

	/** How long a read blocks for a new entry. */
	static final Duration BLOCK = Duration.ofSeconds(5);

	/** How long a result stays. */
	static final Duration RESULT_TTL = Duration.ofHours(1);

	private static final Duration READ_TIMEOUT = BLOCK.plusSeconds(2);

	/**
	 * KEYS: the heartbeat key, the registry. ARGV: the heartbeat, its TTL in ms, the worker id. Scored with
	 * Redis's clock, so that workers need not agree on the time.
	 */
	private static final String HEARTBEAT = """
			redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
			local time = redis.call('TIME')
			local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
			redis.call('ZADD', KEYS[2], now, ARGV[3])
			redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - 10 * tonumber(ARGV[2]))
			return 1
			""";

	/**
	 * KEYS: the result hash, the work stream. ARGV: the TTL in seconds, the channel, the message, the group, the
	 * entry id, then the hash's field/value pairs. (The channel is an argument, not a key: channels have no slot.)
	 */
	private static final String FINISH_WITH_RESULT = """
			redis.call('HSET', KEYS[1], unpack(ARGV, 6))
			redis.call('EXPIRE', KEYS[1], ARGV[1])
			redis.call('PUBLISH', ARGV[2], ARGV[3])
			redis.call('XACK', KEYS[2], ARGV[4], ARGV[5])
			redis.call('XDEL', KEYS[2], ARGV[5])
			return 1
			""";

	// The client of Boot's connection factory, asked for anew at each connect: a context that is stopped and
	// started again (tests, a paused application) has a new one, and a stopped factory refuses at once.
	private final Supplier<RedisClient> client;

	private final RedisProperties properties;

	private final String stream;

	// Guarded by this.
	private StatefulRedisConnection<String, String> shared;

	WorkStream(Supplier<RedisClient> client, RedisProperties properties) {
		this.client = client;
		this.properties = properties;
		this.stream = properties.key("work");
	}

	/**
	 * The key of a name under the prefix.
	 * @param parts the name's parts
	 * @return the key
	 */
	String key(String... parts) {
		return this.properties.key(parts);
	}

	private synchronized RedisCommands<String, String> commands() {
		if (this.shared == null || !this.shared.isOpen()) {
			this.shared = this.client.get().connect(StringCodec.UTF8);
		}
		return this.shared.sync();
	}

	/** Creates the group (and the stream) unless it exists: whichever side comes first does it. */
	void createGroup() {
		try {
			commands().xgroupCreate(XReadArgs.StreamOffset.from(this.stream, "0"), GROUP,
					XGroupCreateArgs.Builder.mkstream());
		}
		catch (RedisCommandExecutionException ex) {
			if (!String.valueOf(ex.getMessage()).startsWith("BUSYGROUP")) {
				throw ex;
			}
		}
	}

	/**
	 * Whether a failure says the group is gone (Redis restarted empty).
	 * @param failure the failure
	 * @return true for {@code NOGROUP}
	 */
	static boolean noGroup(Throwable failure) {
		for (Throwable t = failure; t != null; t = t.getCause()) {
			if (t instanceof RedisCommandExecutionException && String.valueOf(t.getMessage()).startsWith("NOGROUP")) {
				return true;
			}
		}
		return false;
	}

	/**
	 * Re-claims a running entry, which resets its idle time so that no other worker takes it.
	 * @param consumer the consumer that runs it
	 * @param id the entry id
	 * @return false when the entry is no longer pending (acknowledged, or gone with a Redis restart)
	 */
	boolean reclaim(String consumer, String id) {
		List<StreamMessage<String, String>> claimed = commands().xclaim(this.stream, Consumer.from(GROUP, consumer),
				XClaimArgs.Builder.minIdleTime(0).justid(), id);
		return !claimed.isEmpty();
	}

	/**
	 * How often an entry has been delivered.
	 * @param id the entry id
	 * @return the delivery count, 0 when it is not pending
	 */
	long deliveries(String id) {
		List<PendingMessage> pending = commands().xpending(this.stream, GROUP, Range.create(id, id), Limit.from(1));
		return pending.isEmpty() ? 0 : pending.get(0).getRedeliveryCount();
	}

	/**
	 * Whether the caller of a generation has given up ({@code P:cancel:{gen}}).
	 * @param gen the generation
	 * @return true when the cancel key exists
	 */
	boolean cancelled(String gen) {
		return commands().exists(key("cancel", gen)) > 0;
	}

	/**
	 * Publishes a message on a generation's channel.
	 * @param gen the generation
	 * @param message the JSON
	 */
	void publish(String gen, String message) {
		commands().publish(key("events", gen), message);
	}

	/**
	 * Acknowledges and deletes a finished entry: the stream then holds only waiting and running ones.
	 * @param id the entry id
	 */
	void finish(String id) {
		RedisCommands<String, String> commands = commands();
		commands.xack(this.stream, GROUP, id);
		commands.xdel(this.stream, id);
	}

	/**
	 * Writes the heartbeat key and keeps the worker in the registry {@code P:workers}, in one script: the API
	 * lists the live workers from the registry and reads only their keys, never scanning the keyspace (which
	 * holds a result per generation of the last hour). The registry forgets a worker silent for ten timeouts.
	 * @param workerId the worker
	 * @param json its heartbeat
	 */
	void heartbeat(String workerId, String json) {
		commands().eval(HEARTBEAT, ScriptOutputType.INTEGER, new String[] { key("worker", workerId), key("workers") },
				json, Long.toString(this.properties.heartbeatTimeout().toMillis()), workerId);
	}

	/**
	 * Deletes the heartbeat key and leaves the registry (graceful shutdown).
	 * @param workerId the worker
	 */
	void deleteHeartbeat(String workerId) {
		RedisCommands<String, String> commands = commands();
		commands.del(key("worker", workerId));
		commands.zrem(key("workers"), workerId);
	}

	/**
	 * A reader for one pull loop.
	 * @return a new reader (connected on first use)
	 */
	Reader reader() {
		return new Reader();
	}

	@Override
	public synchronized void close() {
		if (this.shared != null) {
			this.shared.close();
			this.shared = null;
		}
	}

	private static byte[] utf8(String text) {
		return text.getBytes(StandardCharsets.UTF_8);
	}

	/** One loop's own connection: its blocking reads and its result scripts. Used by one thread. */
	final class Reader implements AutoCloseable {

		private StatefulRedisConnection<String, byte[]> connection;

		private RedisCommands<String, byte[]> commands() {
			if (this.connection == null || !this.connection.isOpen()) {
				this.connection = WorkStream.this.client.get()
					.connect(RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE));
				// The read blocks up to BLOCK: the command timeout must outlast it, or the entry it delivers is lost.
				this.connection.setTimeout(READ_TIMEOUT);
			}
			return this.connection.sync();
		}

		/**
		 * Takes one entry idle for longer than the heartbeat timeout: its worker is gone.
		 * @param consumer the consumer that takes it
		 * @return the entry, if one was idle
		 */
		Optional<StreamMessage<String, byte[]>> claimAbandoned(String consumer) {
			ClaimedMessages<String, byte[]> claimed = commands().xautoclaim(WorkStream.this.stream,
					XAutoClaimArgs.Builder.xautoclaim(Consumer.from(GROUP, consumer),
							WorkStream.this.properties.heartbeatTimeout(), "0-0")
						.count(1));
			return claimed.getMessages().stream().filter((m) -> m.getBody() != null && !m.getBody().isEmpty()).findFirst();
		}

		/**
		 * Reads one new entry, blocking up to {@link #BLOCK}.
		 * @param consumer the consumer that reads it
		 * @return the entry, if one came
		 */
		Optional<StreamMessage<String, byte[]>> read(String consumer) {
			List<StreamMessage<String, byte[]>> messages = commands().xreadgroup(Consumer.from(GROUP, consumer),
					XReadArgs.Builder.count(1).block(BLOCK), XReadArgs.StreamOffset.lastConsumed(WorkStream.this.stream));
			return (messages == null) ? Optional.empty() : messages.stream().findFirst();
		}

		/**
		 * Ends an entry with its result in one round trip, one atomic step: stores {@code P:result:{gen}}
		 * ({@code HSET}, {@code EXPIRE}), publishes the {@code result} message, acknowledges and deletes the entry.
		 * (As a {@code MULTI} and separate commands these were six round trips, ~10 ms on the critical path of
		 * every job; bench/redis-vs-direct.sh.) The {@code HSET} comes first, so a script refused there (Redis out
		 * of memory) leaves nothing written and the entry pending. A call that timed out may still have run: its
		 * retry stores the same hash again, publishes a second {@code result} message (the API reads the hash on
		 * the first) and acknowledges nothing more.
		 * @param gen the generation
		 * @param id the entry id
		 * @param fields the result's fields
		 * @param message the {@code result} message
		 */
		void finishWithResult(String gen, String id, Map<String, byte[]> fields, String message) {
			List<byte[]> args = new ArrayList<>(5 + 2 * fields.size());
			args.add(utf8(Long.toString(RESULT_TTL.toSeconds())));
			args.add(utf8(key("events", gen)));
			args.add(utf8(message));
			args.add(utf8(GROUP));
			args.add(utf8(id));
			fields.forEach((field, value) -> {
				args.add(utf8(field));
				args.add(value);
			});
			commands().eval(FINISH_WITH_RESULT, ScriptOutputType.INTEGER,
					new String[] { key("result", gen), WorkStream.this.stream }, args.toArray(new byte[0][]));
		}

		@Override
		public void close() {
			if (this.connection != null) {
				this.connection.close();
				this.connection = null;
			}
		}

	}

}

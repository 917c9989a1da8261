package dev.imagegen.api.redis;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.LockSupport;

import io.lettuce.core.Consumer;
import io.lettuce.core.RedisBusyException;
import io.lettuce.core.RedisClient;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Plays the worker side of the Redis wire (docs/architecture.md "Scale-out on Redis") in tests, with no browser and
 * no worker process: a heartbeat, {@code XREADGROUP} of one entry, progress and result messages, the result hash.
 * Blocking Lettuce calls: test threads only. {@link #serveImages} runs a whole worker on a thread of its own, for
 * tests that need generations to succeed but do not drive them one by one.
 */
public final class RedisWorkerDouble implements AutoCloseable {

	/** The API's default {@code REDIS_PREFIX}. */
	public static final String PREFIX = "imagegen:";

	private final String prefix;

	private final RedisClient client;

	private final StatefulRedisConnection<String, String> textConnection;

	private final StatefulRedisConnection<String, byte[]> binaryConnection;

	private final RedisCommands<String, String> text;

	private final RedisCommands<String, byte[]> binary;

	/**
	 * @param url the Redis both sides use
	 */
	public RedisWorkerDouble(String url) {
		this(url, PREFIX);
	}

	/**
	 * @param url the Redis both sides use
	 * @param prefix the API's {@code REDIS_PREFIX}
	 */
	public RedisWorkerDouble(String url, String prefix) {
		this.prefix = prefix;
		this.client = RedisClient.create(url);
		// Not Lettuce's 60 s: a test must not hang that long on a Redis it stopped.
		this.client.setDefaultTimeout(Duration.ofSeconds(15));
		this.textConnection = this.client.connect();
		this.binaryConnection = this.client.connect(RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE));
		this.text = this.textConnection.sync();
		this.binary = this.binaryConnection.sync();
	}

	/** @return the text connection, for what a test checks in Redis itself */
	public RedisCommands<String, String> redis() {
		return this.text;
	}

	/** Empties Redis (every key of every replica). */
	public void flushAll() {
		this.text.flushall();
	}

	/** Writes {@code P:worker:{id}} and lists it in {@code P:workers}, as a live worker with this many sessions does. */
	public void heartbeat(String id, int sessions) {
		StringBuilder list = new StringBuilder();
		for (int i = 0; i < sessions; i++) {
			list.append((i == 0) ? "" : ",").append("{\"id\":\"session-").append(i).append("\",\"state\":\"ready\"}");
		}
		String value = "{\"id\":\"" + id + "\",\"heartbeatAt\":\"" + Instant.now() + "\",\"health\":{\"status\":\"UP\","
				+ "\"sessions\":[" + list + "],\"queue\":{\"depth\":0,\"capacity\":16}}}";
		this.text.psetex(this.prefix + "worker:" + id, 60_000, value);
		this.text.zadd(this.prefix + "workers", System.currentTimeMillis(), id);
	}

	/** The next entry for a free session of {@code worker}, or {@code null} when none came within {@code wait}. */
	public Entry take(String worker, Duration wait) {
		try {
			this.text.xgroupCreate(XReadArgs.StreamOffset.from(this.prefix + "work", "0"), "workers",
					XGroupCreateArgs.Builder.mkstream());
		}
		catch (RedisBusyException ex) {
			// BUSYGROUP: the API created it first.
		}
		List<StreamMessage<String, String>> read = this.text.xreadgroup(Consumer.from("workers", worker + ":s0"),
				XReadArgs.Builder.block(wait.toMillis()).count(1), XReadArgs.StreamOffset.lastConsumed(this.prefix + "work"));
		if (read == null || read.isEmpty()) {
			return null;
		}
		return new Entry(read.get(0).getId(), read.get(0).getBody());
	}

	/** Publishes a message on the entry's {@code events} channel. */
	public void publish(Entry entry, String json) {
		this.text.publish(this.prefix + "events:" + entry.gen(), json);
	}

	/** Publishes a {@code progress} message as the worker does. */
	public void progress(Entry entry, String worker, String phase, Integer queuePosition, Integer upstreamQueuePosition) {
		publish(entry, "{\"type\":\"progress\",\"requestId\":\"" + entry.fields().get("requestId") + "\",\"phase\":\""
				+ phase + "\",\"queuePosition\":" + queuePosition + ",\"upstreamQueuePosition\":" + upstreamQueuePosition
				+ ",\"worker\":\"" + worker + "\"}");
	}

	/** Stores a 200 result, acknowledges and deletes the entry, and (when {@code announce}) publishes {@code result}. */
	public void succeed(Entry entry, String worker, byte[] image, String contentType, long seed, boolean announce) {
		Map<String, byte[]> hash = new LinkedHashMap<>();
		hash.put("status", bytes("200"));
		hash.put("worker", bytes(worker));
		hash.put("image", image);
		hash.put("contentType", bytes(contentType));
		hash.put("seed", bytes(Long.toString(seed)));
		store(entry, worker, 200, hash, announce);
	}

	/** Stores a problem result, acknowledges and deletes the entry, and publishes {@code result}. */
	public void fail(Entry entry, String worker, int status, String problem, String retryAfter) {
		Map<String, byte[]> hash = new LinkedHashMap<>();
		hash.put("status", bytes(Integer.toString(status)));
		hash.put("worker", bytes(worker));
		hash.put("problem", bytes(problem));
		if (retryAfter != null) {
			hash.put("retryAfter", bytes(retryAfter));
		}
		store(entry, worker, status, hash, true);
	}

	private void store(Entry entry, String worker, int status, Map<String, byte[]> hash, boolean announce) {
		String key = this.prefix + "result:" + entry.gen();
		this.binary.hset(key, hash);
		this.binary.expire(key, 3600);
		if (announce) {
			publish(entry, "{\"type\":\"result\",\"status\":" + status + ",\"worker\":\"" + worker + "\"}");
		}
		this.text.xack(this.prefix + "work", "workers", entry.id());
		this.text.xdel(this.prefix + "work", entry.id());
	}

	/** Entries waiting or running, as the API's bound counts them. */
	public long streamLength() {
		return this.text.xlen(this.prefix + "work");
	}

	/** Adds entries no one will run, to fill the backlog. */
	public void addDummyEntries(int count) {
		for (int i = 0; i < count; i++) {
			this.text.xadd(this.prefix + "work", Map.of("gen", "0".repeat(32), "request", "{}"));
		}
	}

	/** Deletes every entry still in the stream (a test's leftovers that no worker will run). */
	public void discardWaiting() {
		this.text.xtrim(this.prefix + "work", 0);
	}

	/** @return whether the API set the entry's cancel key (its caller left) */
	public boolean cancelled(Entry entry) {
		return this.text.exists(this.prefix + "cancel:" + entry.gen()) == 1;
	}

	/**
	 * Starts a worker with one session on a thread of its own: it keeps its heartbeat fresh (also after Redis comes
	 * back empty) and answers every entry it takes with {@code image}, with the seed the request asks for (or
	 * {@link ImageServer#RANDOM_SEED} when it asks none). Close it to stop it.
	 * @param url the Redis both sides use
	 * @param prefix the API's {@code REDIS_PREFIX}
	 * @param worker the worker's id
	 * @param image what every generation answers
	 * @return the running worker
	 */
	public static ImageServer serveImages(String url, String prefix, String worker, byte[] image) {
		return new ImageServer(new RedisWorkerDouble(url, prefix), worker, image);
	}

	private static byte[] bytes(String text) {
		return text.getBytes(StandardCharsets.UTF_8);
	}

	@Override
	public void close() {
		this.textConnection.close();
		this.binaryConnection.close();
		this.client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
	}

	/** A {@link RedisWorkerDouble} that serves every entry with the same image; see {@link #serveImages}. */
	public static final class ImageServer implements AutoCloseable {

		/** The seed answered for a request without one. */
		public static final long RANDOM_SEED = 7;

		private static final Duration HEARTBEAT_EVERY = Duration.ofMillis(500);

		private final RedisWorkerDouble redis;

		private final String worker;

		private final byte[] image;

		private final JsonMapper json = JsonMapper.builder().build();

		private final List<Entry> served = new CopyOnWriteArrayList<>();

		private final Thread thread;

		private volatile boolean running = true;

		private ImageServer(RedisWorkerDouble redis, String worker, byte[] image) {
			this.redis = redis;
			this.worker = worker;
			this.image = image;
			this.thread = new Thread(this::serve, "redis-worker-double-" + worker);
			this.thread.setDaemon(true);
			this.thread.start();
		}

		private void serve() {
			long nextHeartbeat = 0;
			while (this.running) {
				try {
					if (System.nanoTime() - nextHeartbeat >= 0) {
						this.redis.heartbeat(this.worker, 1);
						nextHeartbeat = System.nanoTime() + HEARTBEAT_EVERY.toNanos();
					}
					Entry entry = this.redis.take(this.worker, Duration.ofMillis(250));
					if (entry != null) {
						// Counted before the answer: a test that has its response sees the entry here.
						this.served.add(entry);
						JsonNode seed = this.json.readTree(entry.fields().get("request")).path("seed");
						this.redis.succeed(entry, this.worker, this.image, "image/png",
								seed.isNumber() ? seed.longValue() : RANDOM_SEED, true);
					}
				}
				catch (RuntimeException ex) {
					// Redis is down (a test stopped it) or the double is closing: try again until stopped.
					LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
				}
			}
		}

		/** @return the entries taken so far, in order: one per generation the API dispatched */
		public List<Entry> served() {
			return List.copyOf(this.served);
		}

		@Override
		public void close() {
			this.running = false;
			try {
				this.thread.join(Duration.ofSeconds(5).toMillis());
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
			finally {
				this.redis.close();
			}
		}

	}

	/**
	 * One stream entry as a worker reads it.
	 *
	 * @param id the stream id
	 * @param fields its fields
	 */
	public record Entry(String id, Map<String, String> fields) {

		/** @return the generation id ({@code gen}) */
		public String gen() {
			return this.fields.get("gen");
		}

		/** @return the prompt of the request the entry carries */
		public String prompt() {
			return JsonMapper.builder().build().readTree(this.fields.get("request")).path("prompt").stringValue();
		}

	}

}

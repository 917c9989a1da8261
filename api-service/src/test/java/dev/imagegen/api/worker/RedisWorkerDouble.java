package dev.imagegen.api.worker;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

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

/**
 * Plays the worker side of the Redis wire (docs/architecture.md "Scale-out on Redis") in tests, with no browser and
 * no worker process: a heartbeat, {@code XREADGROUP} of one entry, progress and result messages, the result hash.
 * Blocking Lettuce calls: test threads only.
 */
final class RedisWorkerDouble implements AutoCloseable {

	static final String PREFIX = "imagegen:";

	private final RedisClient client;

	private final StatefulRedisConnection<String, String> textConnection;

	private final StatefulRedisConnection<String, byte[]> binaryConnection;

	private final RedisCommands<String, String> text;

	private final RedisCommands<String, byte[]> binary;

	RedisWorkerDouble(String url) {
		this.client = RedisClient.create(url);
		this.textConnection = this.client.connect();
		this.binaryConnection = this.client.connect(RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE));
		this.text = this.textConnection.sync();
		this.binary = this.binaryConnection.sync();
	}

	RedisCommands<String, String> redis() {
		return this.text;
	}

	void flushAll() {
		this.text.flushall();
	}

	/** Writes {@code P:worker:{id}} as a live worker with this many sessions does. */
	void heartbeat(String id, int sessions) {
		StringBuilder list = new StringBuilder();
		for (int i = 0; i < sessions; i++) {
			list.append((i == 0) ? "" : ",").append("{\"id\":\"session-").append(i).append("\",\"state\":\"ready\"}");
		}
		String value = "{\"id\":\"" + id + "\",\"heartbeatAt\":\"" + Instant.now() + "\",\"health\":{\"status\":\"UP\","
				+ "\"sessions\":[" + list + "],\"queue\":{\"depth\":0,\"capacity\":16}}}";
		this.text.psetex(PREFIX + "worker:" + id, 60_000, value);
	}

	/** The next entry for a free session of {@code worker}, or {@code null} when none came within {@code wait}. */
	Entry take(String worker, Duration wait) {
		try {
			this.text.xgroupCreate(XReadArgs.StreamOffset.from(PREFIX + "work", "0"), "workers",
					XGroupCreateArgs.Builder.mkstream());
		}
		catch (RedisBusyException ex) {
			// BUSYGROUP: the API created it first.
		}
		List<StreamMessage<String, String>> read = this.text.xreadgroup(Consumer.from("workers", worker + ":s0"),
				XReadArgs.Builder.block(wait.toMillis()).count(1), XReadArgs.StreamOffset.lastConsumed(PREFIX + "work"));
		if (read == null || read.isEmpty()) {
			return null;
		}
		return new Entry(read.get(0).getId(), read.get(0).getBody());
	}

	void publish(Entry entry, String json) {
		this.text.publish(PREFIX + "events:" + entry.gen(), json);
	}

	void progress(Entry entry, String worker, String phase, Integer queuePosition, Integer upstreamQueuePosition) {
		publish(entry, "{\"type\":\"progress\",\"requestId\":\"" + entry.fields().get("requestId") + "\",\"phase\":\""
				+ phase + "\",\"queuePosition\":" + queuePosition + ",\"upstreamQueuePosition\":" + upstreamQueuePosition
				+ ",\"worker\":\"" + worker + "\"}");
	}

	void succeed(Entry entry, String worker, byte[] image, String contentType, long seed, boolean announce) {
		Map<String, byte[]> hash = new LinkedHashMap<>();
		hash.put("status", bytes("200"));
		hash.put("worker", bytes(worker));
		hash.put("image", image);
		hash.put("contentType", bytes(contentType));
		hash.put("seed", bytes(Long.toString(seed)));
		store(entry, worker, 200, hash, announce);
	}

	void fail(Entry entry, String worker, int status, String problem, String retryAfter) {
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
		String key = PREFIX + "result:" + entry.gen();
		this.binary.hset(key, hash);
		this.binary.expire(key, 3600);
		if (announce) {
			publish(entry, "{\"type\":\"result\",\"status\":" + status + ",\"worker\":\"" + worker + "\"}");
		}
		this.text.xack(PREFIX + "work", "workers", entry.id());
		this.text.xdel(PREFIX + "work", entry.id());
	}

	/** Entries waiting or running, as the API's bound counts them. */
	long streamLength() {
		return this.text.xlen(PREFIX + "work");
	}

	/** Adds entries no one will run, to fill the backlog. */
	void addDummyEntries(int count) {
		for (int i = 0; i < count; i++) {
			this.text.xadd(PREFIX + "work", Map.of("gen", "0".repeat(32), "request", "{}"));
		}
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

	/**
	 * One stream entry as a worker reads it.
	 *
	 * @param id the stream id
	 * @param fields its fields
	 */
	record Entry(String id, Map<String, String> fields) {

		String gen() {
			return this.fields.get("gen");
		}

	}

}

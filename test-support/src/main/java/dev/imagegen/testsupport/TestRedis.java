package dev.imagegen.testsupport;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Optional;

import redis.embedded.RedisServer;
import redis.embedded.core.ExecutableProvider;

/**
 * A real Redis server for a test, on a free loopback port: the system's {@code redis-server} when one is on
 * the {@code PATH} (Debian's package), else the Redis 6.2 binary that {@code embedded-redis} ships inside its
 * jar (6.2 has {@code XAUTOCLAIM}, which the scale-out design needs). No Docker. Close it to stop the server.
 */
public final class TestRedis implements AutoCloseable {

	private final RedisServer server;

	private final int port;

	private final String source;

	private TestRedis(RedisServer server, int port, String source) {
		this.server = server;
		this.port = port;
		this.source = source;
	}

	/**
	 * Starts a server, preferring the system's {@code redis-server}.
	 * @return the running server
	 */
	public static TestRedis start() {
		Optional<Path> system = systemRedis();
		return system.map((path) -> start(path.toFile(), "system redis-server at " + path))
			.orElseGet(TestRedis::startEmbedded);
	}

	/**
	 * Starts the Redis binary bundled in the {@code embedded-redis} jar, whatever the system has.
	 * @return the running server
	 */
	public static TestRedis startEmbedded() {
		try {
			return start(ExecutableProvider.newJarResourceProvider().get(), "embedded-redis");
		}
		catch (IOException ex) {
			throw new UncheckedIOException("cannot unpack the embedded Redis binary", ex);
		}
	}

	private static TestRedis start(File executable, String source) {
		int port = freePort();
		try {
			// No persistence: a test's data dies with its server, and nothing is written outside the temp dir.
			RedisServer server = RedisServer.newRedisServer()
				.executableProvider(() -> executable)
				.bind("127.0.0.1")
				.port(port)
				.setting("save \"\"")
				.setting("appendonly no")
				.setting("dir " + Files.createTempDirectory("imagegen-test-redis"))
				.build();
			server.start();
			System.err.println("[test-support] Redis " + source + " on 127.0.0.1:" + port);
			return new TestRedis(server, port, source);
		}
		catch (IOException ex) {
			throw new UncheckedIOException("cannot start Redis (" + source + ")", ex);
		}
	}

	/** @return the first {@code redis-server} on the {@code PATH}, if any */
	static Optional<Path> systemRedis() {
		String path = System.getenv().getOrDefault("PATH", "");
		for (String dir : path.split(File.pathSeparator)) {
			if (!dir.isBlank()) {
				Path candidate = Paths.get(dir, "redis-server");
				if (Files.isExecutable(candidate)) {
					return Optional.of(candidate);
				}
			}
		}
		return Optional.empty();
	}

	private static int freePort() {
		try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
			return socket.getLocalPort();
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/** @return the port it listens on (loopback) */
	public int port() {
		return this.port;
	}

	/** @return a {@code redis://} URL of the server, as {@code REDIS_URL} takes it */
	public String url() {
		return "redis://127.0.0.1:" + this.port;
	}

	/** @return which binary runs ("system redis-server at …" or "embedded-redis") */
	public String source() {
		return this.source;
	}

	/**
	 * Stops the server but keeps its port, for "Redis went down" tests; {@link #resume()} starts it again there.
	 * Nothing persists: it comes back empty.
	 */
	public void pause() {
		try {
			this.server.stop();
		}
		catch (IOException ex) {
			throw new UncheckedIOException("cannot stop Redis on port " + this.port, ex);
		}
	}

	/** Starts a {@link #pause() paused} server again on the same port. */
	public void resume() {
		try {
			this.server.start();
		}
		catch (IOException ex) {
			throw new UncheckedIOException("cannot restart Redis on port " + this.port, ex);
		}
	}

	@Override
	public void close() {
		try {
			this.server.stop();
		}
		catch (IOException ex) {
			throw new UncheckedIOException("cannot stop Redis on port " + this.port, ex);
		}
	}

}

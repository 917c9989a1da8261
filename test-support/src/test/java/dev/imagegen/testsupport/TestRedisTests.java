package dev.imagegen.testsupport;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Both ways of getting a Redis for tests give a real server with the commands scale-out relies on, and
 * closing it stops it.
 */
class TestRedisTests {

	@Test
	void preferredServerAnswersAndStops() throws IOException {
		TestRedis redis = TestRedis.start();
		int port = redis.port();
		try (redis) {
			if (TestRedis.systemRedis().isPresent()) {
				assertThat(redis.source()).startsWith("system redis-server");
			}
			assertThat(redis.url()).isEqualTo("redis://127.0.0.1:" + port);
			assertCommandsWork(port);
		}
		assertThatExceptionOfType(ConnectException.class)
			.isThrownBy(() -> new Socket(InetAddress.getLoopbackAddress(), port).close());
	}

	@Test
	void bundledServerHasStreamsAndAutoClaim() throws IOException {
		try (TestRedis redis = TestRedis.startEmbedded()) {
			assertThat(redis.source()).isEqualTo("embedded-redis");
			assertCommandsWork(redis.port());
		}
	}

	private static void assertCommandsWork(int port) throws IOException {
		try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
			socket.setSoTimeout(10_000);
			OutputStream out = socket.getOutputStream();
			BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
			assertThat(call(out, in, "PING")).isEqualTo("+PONG");
			assertThat(call(out, in, "XGROUP", "CREATE", "work", "workers", "$", "MKSTREAM")).isEqualTo("+OK");
			// XAUTOCLAIM (Redis 6.2+) answers an array; an older server answers "-ERR unknown command".
			assertThat(call(out, in, "XAUTOCLAIM", "work", "workers", "w1", "0", "0-0")).startsWith("*");
		}
	}

	/** Sends one RESP command and returns the first line of the answer. */
	private static String call(OutputStream out, BufferedReader in, String... args) throws IOException {
		StringBuilder command = new StringBuilder("*" + args.length + "\r\n");
		for (String arg : args) {
			command.append('$').append(arg.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(arg).append("\r\n");
		}
		out.write(command.toString().getBytes(StandardCharsets.UTF_8));
		out.flush();
		// Only the first line is read: an array answer comes last in each test, so nothing is left to misread.
		return in.readLine();
	}

}

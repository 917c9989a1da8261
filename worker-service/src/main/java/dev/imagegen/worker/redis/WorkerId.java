package dev.imagegen.worker.redis;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * This worker's id in Redis: {@code <hostname>-<port>-<6 hex random>}. Host and port tell an operator which
 * process it is; the random part keeps a restarted worker (same host and port) apart from its dead predecessor,
 * whose entries another worker must be able to claim.
 */
final class WorkerId {

	private static final SecureRandom RANDOM = new SecureRandom();

	private WorkerId() {
	}

	/**
	 * A fresh id.
	 * @param port the HTTP port the worker listens on
	 * @return e.g. {@code worker-1-8081-3fa9c2}
	 */
	static String create(int port) {
		byte[] random = new byte[3];
		RANDOM.nextBytes(random);
		return hostname() + "-" + port + "-" + HexFormat.of().formatHex(random);
	}

	private static String hostname() {
		String name;
		try {
			name = InetAddress.getLocalHost().getHostName();
		}
		catch (UnknownHostException ex) {
			name = System.getenv("HOSTNAME");
		}
		// It becomes part of key and consumer names: keep it to characters that need no quoting anywhere.
		String safe = (name != null) ? name.replaceAll("[^A-Za-z0-9.-]", "") : "";
		return safe.isEmpty() ? "worker" : safe;
	}

}

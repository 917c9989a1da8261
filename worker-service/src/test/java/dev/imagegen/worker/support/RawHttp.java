package dev.imagegen.worker.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP/1.1 over a plain socket, for requests no HTTP client would send (unnormalised paths, half heads).
 */
public final class RawHttp {

	private RawHttp() {
	}

	/**
	 * Sends bytes as they are and reads until the server closes the connection.
	 * @param port the server port
	 * @param request the raw request
	 * @return the response
	 */
	public static Response exchange(int port, String request) {
		try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
			socket.setSoTimeout(15_000);
			socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
			socket.getOutputStream().flush();
			return parse(readToEnd(socket.getInputStream()));
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	/**
	 * A GET with {@code Connection: close}.
	 * @param port the server port
	 * @param path the raw request target
	 * @return the response
	 */
	public static Response get(int port, String path) {
		return exchange(port, "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
	}

	/**
	 * Reads until end of stream; a reset by the peer also counts as the end. A socket timeout propagates.
	 * @param in the stream
	 * @return what was read
	 * @throws IOException on a read timeout
	 */
	public static byte[] readToEnd(InputStream in) throws IOException {
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		byte[] buffer = new byte[8192];
		try {
			int n;
			while ((n = in.read(buffer)) != -1) {
				out.write(buffer, 0, n);
			}
		}
		catch (java.net.SocketTimeoutException ex) {
			throw ex;
		}
		catch (SocketException ex) {
			// Connection reset: the server closed it.
		}
		return out.toByteArray();
	}

	private static Response parse(byte[] bytes) {
		String all = new String(bytes, StandardCharsets.ISO_8859_1);
		int end = all.indexOf("\r\n\r\n");
		String head = (end >= 0) ? all.substring(0, end) : all;
		// ISO-8859-1 keeps one char per byte, so indexes are byte offsets; the body is decoded as UTF-8 at the end.
		String rawBody = (end >= 0) ? all.substring(end + 4) : "";
		String[] lines = head.split("\r\n");
		int status = (lines.length > 0 && lines[0].length() >= 12) ? Integer.parseInt(lines[0].substring(9, 12)) : -1;
		Map<String, String> headers = new LinkedHashMap<>();
		for (int i = 1; i < lines.length; i++) {
			int colon = lines[i].indexOf(':');
			if (colon > 0) {
				headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
			}
		}
		if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
			rawBody = dechunk(rawBody);
		}
		String body = new String(rawBody.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
		return new Response(status, headers, body);
	}

	private static String dechunk(String body) {
		StringBuilder out = new StringBuilder();
		int at = 0;
		while (at < body.length()) {
			int lineEnd = body.indexOf("\r\n", at);
			if (lineEnd < 0) {
				break;
			}
			String sizeField = body.substring(at, lineEnd).split(";")[0].trim();
			if (sizeField.isEmpty()) {
				break;
			}
			int size = Integer.parseInt(sizeField, 16);
			if (size == 0) {
				break;
			}
			out.append(body, lineEnd + 2, Math.min(body.length(), lineEnd + 2 + size));
			at = lineEnd + 2 + size + 2;
		}
		return out.toString();
	}

	/**
	 * A parsed response.
	 * @param status the status code, -1 when none was sent
	 * @param headers lower-case names
	 * @param body the body (de-chunked)
	 */
	public record Response(int status, Map<String, String> headers, String body) {

		/**
		 * A header.
		 * @param name any case
		 * @return the value or null
		 */
		public String header(String name) {
			return this.headers.get(name.toLowerCase(Locale.ROOT));
		}

	}

}

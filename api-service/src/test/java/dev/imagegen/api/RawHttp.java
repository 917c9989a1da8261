package dev.imagegen.api;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A plain socket to the API for what no HTTP client sends: half a request head, a raw {@code <} in the
 * target, a request line of 70 KB. Reads block with a generous socket timeout, so a test waits for an
 * event (the server's answer or close) instead of sleeping.
 */
final class RawHttp implements AutoCloseable {

	private final Socket socket;

	RawHttp(int port, int readTimeoutMillis) {
		try {
			this.socket = new Socket();
			this.socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
			this.socket.setSoTimeout(readTimeoutMillis);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
	}

	RawHttp send(String text) throws IOException {
		this.socket.getOutputStream().write(text.getBytes(StandardCharsets.ISO_8859_1));
		this.socket.getOutputStream().flush();
		return this;
	}

	/**
	 * Reads until the server closes the connection.
	 * @return everything the server sent
	 * @throws java.net.SocketTimeoutException when the server neither sends nor closes in time
	 */
	String readUntilClosed() throws IOException {
		InputStream in = this.socket.getInputStream();
		ByteArrayOutputStream out = new ByteArrayOutputStream();
		byte[] buffer = new byte[8192];
		int read;
		while ((read = in.read(buffer)) != -1) {
			out.write(buffer, 0, read);
		}
		return out.toString(StandardCharsets.UTF_8);
	}

	/**
	 * Reads one response whose body length is given by {@code Content-Length}.
	 * @return the head and body
	 */
	String readResponse() throws IOException {
		InputStream in = this.socket.getInputStream();
		ByteArrayOutputStream head = new ByteArrayOutputStream();
		while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
			int next = in.read();
			if (next == -1) {
				throw new IOException("closed before the end of the head: " + head);
			}
			head.write(next);
		}
		String headText = head.toString(StandardCharsets.ISO_8859_1);
		int length = 0;
		for (String line : headText.split("\r\n")) {
			if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
				length = Integer.parseInt(line.substring(15).trim());
			}
		}
		byte[] body = in.readNBytes(length);
		return headText + new String(body, StandardCharsets.UTF_8);
	}

	@Override
	public void close() throws IOException {
		this.socket.close();
	}

}

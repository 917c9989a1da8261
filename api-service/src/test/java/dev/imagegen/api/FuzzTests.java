package dev.imagegen.api;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Random hostile input against the running API over a raw socket: query strings (names, values, encodings,
 * broken percent-encoding, raw characters no client should send, repeats, sizes) and JSON bodies (types,
 * nesting, escapes, lone surrogates, huge numbers, truncation). Whatever comes in, the answer is below 500, an
 * error is {@code application/problem+json}, and the service is healthy afterwards. The seed is printed in
 * every failure message, so a failing case can be replayed.
 */
class FuzzTests extends SharedContextTests {

	private static final int CASES = 300;

	private static final String[] NAMES = { "prompt", "negative_prompt", "seed", "guidance_scale", "shape", "format" };

	private static final String[] RAW = { "<", ">", "\"", "{", "}", "|", "^", "`", "\\", " ", "#", "[", "]" };

	private static final String[] NUMBERS = { "-1", "0", "7", "2147483647", "2147483648", "-2", "1e400", "-1e400",
			"NaN", "Infinity", "0x10", "1.5", "30.0000001", "00012", "+3", "", "9".repeat(400) };

	private final long seed = System.nanoTime();

	private final Random random = new Random(this.seed);

	@BeforeEach
	void workerAnswersWithAnImage() {
		worker().stubFor(post(urlEqualTo("/generate")).willReturn(
				aResponse().withStatus(200).withHeader("Content-Type", "image/png").withBody(ImageFixtures.png())));
		// A valid case may ask for JPEG: the worker then answers JPEG, as a real one does (otherwise the API's
		// format check rightly answers 502 and the fuzz run fails on a correct answer).
		worker().stubFor(post(urlEqualTo("/generate")).withRequestBody(matchingJsonPath("$.format", equalTo("jpeg")))
			.willReturn(aResponse().withStatus(200).withHeader("Content-Type", "image/jpeg").withBody(ImageFixtures.jpeg())));
	}

	@Test
	void noInputMakesAServerErrorOrAnAnswerThatIsNotAProblem() throws IOException {
		for (int i = 0; i < CASES; i++) {
			String request = (this.random.nextInt(3) == 0) ? jsonRequest() : queryRequest();
			String response;
			try (RawHttp http = new RawHttp(this.port, 30_000)) {
				response = http.send(request).readUntilClosed();
			}
			String context = "seed " + this.seed + ", case " + i + ":\n" + abbreviate(request) + "\n--- answer:\n"
					+ abbreviate(response);
			assertThat(response).as(context).startsWith("HTTP/1.1 ");
			int status = Integer.parseInt(response.substring(9, 12));
			assertThat(status).as(context).isLessThan(500);
			String head = response.substring(0, Math.max(0, response.indexOf("\r\n\r\n"))).toLowerCase(Locale.ROOT);
			if (status >= 400) {
				assertThat(head).as(context).contains("content-type: application/problem+json");
			}
			else {
				assertThat(status).as(context).isEqualTo(200);
				assertThat(head).as(context).containsAnyOf("content-type: image/png", "content-type: image/jpeg");
			}
		}
		this.client.get().uri("/livez").exchange().expectStatus().isOk();
		this.client.get().uri("/generate?prompt=still+fine").exchange().expectStatus().isOk();
	}

	private String queryRequest() {
		List<String> pairs = new ArrayList<>();
		int count = this.random.nextInt(7);
		for (int i = 0; i < count; i++) {
			String name = (this.random.nextInt(5) == 0) ? text(8) : NAMES[this.random.nextInt(NAMES.length)];
			String value = switch (this.random.nextInt(4)) {
				case 0 -> NUMBERS[this.random.nextInt(NUMBERS.length)];
				case 1 -> text(1 + this.random.nextInt(this.random.nextInt(10) == 0 ? 1500 : 40));
				case 2 -> List.of("square", "PORTRAIT", "landscape", "round", "png", "jpeg", "gif").get(this.random.nextInt(7));
				default -> "a+red+fox";
			};
			pairs.add(name + (this.random.nextInt(10) == 0 ? "" : "=" + value));
		}
		if (this.random.nextBoolean()) {
			pairs.add("prompt=fox");
		}
		return "GET /generate?" + String.join("&", pairs) + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
	}

	/** URL text: plain, percent-encoded UTF-8, random (often broken) percent escapes, and raw characters. */
	private String text(int length) {
		StringBuilder text = new StringBuilder();
		while (text.length() < length) {
			switch (this.random.nextInt(6)) {
				case 0 -> text.append((char) ('a' + this.random.nextInt(26)));
				case 1 -> {
					String cp = new String(Character.toChars(0x80 + this.random.nextInt(0x1F000)));
					for (byte b : cp.getBytes(StandardCharsets.UTF_8)) {
						text.append('%').append(String.format("%02X", b & 0xff));
					}
				}
				case 2 -> text.append('%').append(String.format("%02x", this.random.nextInt(256)));
				case 3 -> text.append(this.random.nextBoolean() ? "%" : "%e2%82");
				case 4 -> text.append(RAW[this.random.nextInt(RAW.length)]);
				default -> text.append(this.random.nextBoolean() ? '+' : '=');
			}
		}
		return text.toString();
	}

	private String jsonRequest() {
		String body = (this.random.nextInt(8) == 0) ? json(0).substring(0, 1) + text(20) : json(0);
		if (this.random.nextInt(8) == 0 && body.length() > 2) {
			body = body.substring(0, this.random.nextInt(body.length()));
		}
		byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
		// The socket writes ISO-8859-1: send the UTF-8 bytes one char per byte.
		String wire = new String(bytes, StandardCharsets.ISO_8859_1);
		return "POST /generate HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\n"
				+ "Content-Length: " + bytes.length + "\r\n\r\n" + wire;
	}

	private String json(int depth) {
		if (depth == 0) {
			StringBuilder object = new StringBuilder("{");
			int fields = this.random.nextInt(7);
			for (int i = 0; i < fields; i++) {
				String name = (this.random.nextInt(5) == 0) ? jsonString(6) : "\"" + NAMES[this.random.nextInt(NAMES.length)] + "\"";
				object.append((i == 0) ? "" : ",").append(name).append(':').append(json(1));
			}
			if (this.random.nextBoolean()) {
				object.append((fields == 0) ? "" : ",").append("\"prompt\":\"fox\"");
			}
			return object.append('}').toString();
		}
		return switch (this.random.nextInt(depth > 4 ? 4 : 7)) {
			case 0 -> jsonString(1 + this.random.nextInt(60));
			case 1 -> NUMBERS[this.random.nextInt(NUMBERS.length)].replace("NaN", "1e999").replace("Infinity", "-1e400")
				.replace("0x10", "16").replace("+3", "3");
			case 2 -> List.of("true", "false", "null").get(this.random.nextInt(3));
			case 3 -> "\"square\"";
			case 4 -> "[" + json(depth + 1) + "," + json(depth + 1) + "]";
			case 5 -> "{\"x\":" + json(depth + 1) + "}";
			default -> "\"" + "long ".repeat(this.random.nextInt(400)) + "\"";
		};
	}

	/** A JSON string literal with escapes, some of them invalid Unicode (lone surrogates). */
	private String jsonString(int length) {
		StringBuilder text = new StringBuilder("\"");
		for (int i = 0; i < length; i++) {
			switch (this.random.nextInt(6)) {
				case 0 -> text.append("\\ud800");
				case 1 -> text.append("\\u").append(String.format("%04x", this.random.nextInt(0x10000)));
				case 2 -> text.append("\\n");
				case 3 -> text.append(new String(Character.toChars(0x80 + this.random.nextInt(0x1F000))));
				default -> text.append((char) ('a' + this.random.nextInt(26)));
			}
		}
		return text.append('"').toString();
	}

	private static String abbreviate(String text) {
		return (text.length() <= 600) ? text : text.substring(0, 600) + "… (" + text.length() + " chars)";
	}

}

package dev.imagegen.worker.browser;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import dev.imagegen.emulator.PerchanceEmulator;

/**
 * A measurement, not a test (no {@code *Tests} name, so the build never runs it): where the worker's own time
 * per image goes, against the in-JVM emulator with headless {@code /usr/bin/chromium}, each figure the p50 of
 * many repetitions. Results: docs/benchmarks.md, "Worker overhead, seventh session". To run it:
 * <pre>
 * ./mvnw -B -o -q -pl worker-service test-compile
 * ./mvnw -B -o -q -pl worker-service dependency:build-classpath -Dmdep.outputFile=/tmp/cp.txt -Dmdep.includeScope=test
 * java -cp worker-service/target/test-classes:worker-service/target/classes:$(cat /tmp/cp.txt) \
 *     dev.imagegen.worker.browser.OverheadProbe [repetitions, default 100]
 * </pre>
 */
final class OverheadProbe {

	static final JsonMapper JSON = JsonMapper.builder().build();

	static final HttpClient HTTP = HttpClient.newHttpClient();

	static final String DL_CURRENT = """
			async (a) => {
			  const r = await fetch(a.url, { credentials: 'include', cache: 'no-store' });
			  const buf = new Uint8Array(await r.arrayBuffer());
			  let s = '';
			  for (let i = 0; i < buf.length; i += 0x8000) {
			    s += String.fromCharCode.apply(null, buf.subarray(i, i + 0x8000));
			  }
			  return { status: r.status, base64: btoa(s) };
			}
			""";

	static final String DL_TOBASE64 = """
			async (a) => {
			  const r = await fetch(a.url, { credentials: 'include', cache: 'no-store' });
			  const buf = new Uint8Array(await r.arrayBuffer());
			  return { status: r.status, base64: buf.toBase64() };
			}
			""";

	static final String DL_FILEREADER = """
			async (a) => {
			  const r = await fetch(a.url, { credentials: 'include', cache: 'no-store' });
			  const blob = await r.blob();
			  const url = await new Promise((ok, ko) => { const f = new FileReader(); f.onload = () => ok(f.result); f.onerror = () => ko(f.error); f.readAsDataURL(blob); });
			  return { status: r.status, base64: url.substring(url.indexOf(',') + 1) };
			}
			""";

	static final String DL_LENGTH = """
			async (a) => {
			  const r = await fetch(a.url, { credentials: 'include', cache: 'no-store' });
			  const buf = new Uint8Array(await r.arrayBuffer());
			  return { status: r.status, length: buf.length };
			}
			""";

	static final String B64_ONLY = """
			async (a) => {
			  const r = await fetch(a.url, { credentials: 'include', cache: 'no-store' });
			  const buf = new Uint8Array(await r.arrayBuffer());
			  const t0 = performance.now();
			  for (let k = 0; k < 20; k++) {
			    let s = '';
			    for (let i = 0; i < buf.length; i += 0x8000) {
			      s += String.fromCharCode.apply(null, buf.subarray(i, i + 0x8000));
			    }
			    btoa(s);
			  }
			  const t1 = performance.now();
			  for (let k = 0; k < 20; k++) { buf.toBase64(); }
			  const t2 = performance.now();
			  return { chunks: (t1 - t0) / 20, toBase64: (t2 - t1) / 20 };
			}
			""";

	// Inside one evaluation, so no Playwright round trip: a fetch until its headers, then its body; and from
	// Resource Timing, whether each fetch opened a new connection (the emulator answers Connection: close).
	static final String DL_INPAGE = """
			async (a) => {
			  performance.clearResourceTimings();
			  const out = [];
			  for (let k = 0; k < a.n; k++) {
			    const t0 = performance.now();
			    const r = await fetch(a.url, { credentials: 'include', cache: 'no-store' });
			    const t1 = performance.now();
			    await r.arrayBuffer();
			    const t2 = performance.now();
			    out.push([t1 - t0, t2 - t1]);
			  }
			  const m = (v) => v.sort((x, y) => x - y)[Math.floor(v.length / 2)];
			  const e = performance.getEntriesByType('resource').filter((x) => x.name === a.url);
			  return { untilHeaders: m(out.map((x) => x[0])), body: m(out.map((x) => x[1])),
			    fetchStartToRequest: m(e.map((x) => x.requestStart - x.fetchStart)),
			    requestToFirstByte: m(e.map((x) => x.responseStart - x.requestStart)),
			    newConnections: e.filter((x) => x.connectEnd > x.connectStart).length + ' of ' + e.length };
			}
			""";

	static final String STRING_RETURN = "(n) => 'A'.repeat(n)";

	public static void main(String[] args) throws Exception {
		int n = (args.length > 0) ? Integer.parseInt(args[0]) : 100;
		PerchanceEmulator emulator = PerchanceEmulator.start(0);
		String base = emulator.baseUrl();
		post(base + "/__emulator/config", "{\"generateLatencyMs\":0,\"turnstileDelayMs\":0}");
		Path profile = Files.createTempDirectory("probe-profile");
		Map<String, String> env = new HashMap<>();
		env.put("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
		try (Playwright pw = Playwright.create(new Playwright.CreateOptions().setEnv(env))) {
			BrowserContext context = pw.chromium().launchPersistentContext(profile,
					new BrowserType.LaunchPersistentContextOptions().setHeadless(true).setExecutablePath(Path.of("/usr/bin/chromium")));
			Page page = context.pages().isEmpty() ? context.newPage() : context.pages().get(0);
			page.navigate(base + "/embed");
			PageTransport transport = new PageTransport(page);
			UpstreamResponse verify = transport.send("GET", base + "/api/verifyUser?thread=0&__cacheBust=0.5", null, false,
					Duration.ofSeconds(10));
			String key = JSON.readTree(verify.text()).get("userKey").asString();

			// 1. bare round trip
			report("evaluate(() => 1)", time(n * 3, () -> page.evaluate("() => 1")));
			Map<String, Object> argsObj = Map.of("url", "x".repeat(200), "method", "POST", "body", "y".repeat(400));
			report("evaluate((a) => 1, args)", time(n * 3, () -> page.evaluate("(a) => 1", argsObj)));
			report("evaluate string 117 KB", time(n, () -> page.evaluate(STRING_RETURN, 117_000)));
			report("evaluate string 1.2 MB", time(n / 2, () -> page.evaluate(STRING_RETURN, 1_200_000)));

			// 2. generate via PageTransport vs the emulator's own time
			clearLog(base);
			List<String> downloadUrls = new ArrayList<>();
			List<Double> gen = time(n, () -> {
				String rid = UpstreamCalls.randomFloat();
				UpstreamResponse r = transport.send("POST", generateUrl(base, key, rid), generateBody(key, rid), false,
						Duration.ofSeconds(10));
				downloadUrls.add(JSON.readTree(r.text()).get("imageDownloadUrl").asString());
				return r;
			});
			List<Double> emu = durations(base, "/api/generate");
			report("PageTransport generate", gen);
			report("emulator generate durationMs", emu);
			List<Double> diff = new ArrayList<>();
			for (int i = 0; i < Math.min(gen.size(), emu.size()); i++) {
				diff.add(gen.get(i) - emu.get(i));
			}
			report("generate minus emulator", diff);

			String dl = base + downloadUrls.get(downloadUrls.size() - 1);
			// 3. downloads
			clearLog(base);
			List<byte[]> last = new ArrayList<>();
			report("PageTransport download (current)", time(n, () -> {
				UpstreamResponse r = transport.send("GET", dl, null, true, Duration.ofSeconds(10));
				last.clear();
				last.add(r.bytes());
				return r;
			}));
			report("emulator download durationMs", durations(base, "/api/downloadTemporaryImageViaProxy"));
			byte[] bytes = last.get(0);
			System.out.println("image bytes " + bytes.length);
			Map<String, Object> a = Map.of("url", dl);
			report("evaluate fetch+arrayBuffer, length only", time(n, () -> page.evaluate(DL_LENGTH, a)));
			report("evaluate chunks+btoa + decode", time(n, () -> decode(page.evaluate(DL_CURRENT, a))));
			report("evaluate toBase64 + decode", time(n, () -> decode(page.evaluate(DL_TOBASE64, a))));
			report("evaluate FileReader + decode", time(n, () -> decode(page.evaluate(DL_FILEREADER, a))));
			System.out.println("in-page base64 ms (avg of 20): " + page.evaluate(B64_ONLY, a));
			System.out.println("in-page download timing p50: " + page.evaluate(DL_INPAGE, Map.of("url", dl, "n", 100)));
			System.out.println("in-page tiny GET timing p50: " + page.evaluate(DL_INPAGE, Map.of("url", base + "/__emulator/config", "n", 100)));
			String b64 = Base64.getEncoder().encodeToString(bytes);
			report("Java Base64 decode", time(n * 5, () -> Base64.getDecoder().decode(b64)));
			report("sha256", time(n * 5, () -> ImageDownload.sha256(bytes)));
			report("ImageReader header", time(n * 5, () -> header(bytes)));
			context.close();
		}
		emulator.close();
	}

	static String generateUrl(String base, String key, String rid) {
		return base + "/api/generate?userKey=" + UpstreamCalls.encode(key) + "&requestId=" + rid + "&adAccessCode=&__cacheBust=0.3";
	}

	static String generateBody(String key, String rid) {
		return "{\"prompt\":\"a fox\",\"negativePrompt\":\"\",\"seed\":5,\"resolution\":\"768x768\",\"guidanceScale\":7,"
				+ "\"channel\":\"ai-text-to-image-generator\",\"subChannel\":\"public\",\"userKey\":\"" + key
				+ "\",\"adAccessCode\":\"\",\"requestId\":\"" + rid + "\"}";
	}

	static Object decode(Object raw) {
		Map<?, ?> m = (Map<?, ?>) raw;
		return Base64.getDecoder().decode((String) m.get("base64"));
	}

	static int header(byte[] bytes) {
		try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
			Iterator<ImageReader> readers = (in != null) ? ImageIO.getImageReaders(in) : Collections.emptyIterator();
			ImageReader reader = readers.next();
			try {
				reader.setInput(in, true, true);
				return reader.getWidth(0) + reader.getHeight(0);
			}
			finally {
				reader.dispose();
			}
		}
		catch (Exception ex) {
			throw new IllegalStateException(ex);
		}
	}

	static List<Double> time(int n, Supplier<Object> what) {
		for (int i = 0; i < Math.max(5, n / 10); i++) {
			what.get();
		}
		List<Double> out = new ArrayList<>();
		for (int i = 0; i < n; i++) {
			long t = System.nanoTime();
			what.get();
			out.add((System.nanoTime() - t) / 1e6);
		}
		return out;
	}

	static void report(String name, List<Double> values) {
		List<Double> sorted = new ArrayList<>(values);
		Collections.sort(sorted);
		double p50 = sorted.get(sorted.size() / 2);
		double p95 = sorted.get((int) Math.min(sorted.size() - 1, Math.round(sorted.size() * 0.95)));
		double mean = sorted.stream().mapToDouble(Double::doubleValue).average().orElse(0);
		System.out.printf("%-45s n=%4d p50=%7.2f ms p95=%7.2f ms mean=%7.2f ms%n", name, sorted.size(), p50, p95, mean);
	}

	static List<Double> durations(String base, String path) throws Exception {
		List<Double> out = durations(base, path, 0);
		// Drop the warm-up calls, as time() does.
		return new ArrayList<>(out.subList(Math.min(out.size(), Math.max(5, out.size() / 11)), out.size()));
	}

	static List<Double> durations(String base, String path, int skip) throws Exception {
		JsonNode log = JSON.readTree(HTTP.send(HttpRequest.newBuilder(URI.create(base + "/__emulator/log")).build(),
				HttpResponse.BodyHandlers.ofString()).body());
		JsonNode entries = log.has("entries") ? log.get("entries") : log;
		List<Double> out = new ArrayList<>();
		for (JsonNode e : entries) {
			if (path.equals(e.get("path").asString()) && e.get("durationMs").isNumber()) {
				out.add(e.get("durationMs").asDouble());
			}
		}
		return out.subList(skip, out.size());
	}

	static void clearLog(String base) throws Exception {
		HTTP.send(HttpRequest.newBuilder(URI.create(base + "/__emulator/log")).DELETE().build(),
				HttpResponse.BodyHandlers.discarding());
	}

	static void post(String url, String body) throws Exception {
		HTTP.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
				.POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.discarding());
	}

}

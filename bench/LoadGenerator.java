import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Load generator for the imagegen benchmark (bench/run-bench.sh starts the services and calls this).
 *
 * <p>Single file, JDK only: {@code java bench/LoadGenerator.java --api URL --worker URL --emulator URL ...}.
 * Every scenario is bounded twice: a fixed number of requests and a wall-clock cap. Loopback only.
 * Raw per-request lines go to {@code --out}; a markdown summary goes to stdout (and to the same file).
 */
public final class LoadGenerator {

	// ---- options ------------------------------------------------------------------------------------
	private final Map<String, String> opts;
	private final String api;
	private final String worker;
	private final String emulator;
	private final String token;
	private final Map<String, Long> pids = new LinkedHashMap<>();
	private final PrintWriter raw;
	private final StringBuilder md = new StringBuilder();
	private final List<String> findings = Collections.synchronizedList(new ArrayList<>());
	private final HttpClient http = HttpClient.newBuilder()
		.version(HttpClient.Version.HTTP_1_1)
		.connectTimeout(Duration.ofSeconds(5))
		.build();
	private final AtomicInteger generations = new AtomicInteger();
	private final Duration scenarioCap;
	private final Duration requestTimeout = Duration.ofSeconds(60);
	private String healthNote;

	private LoadGenerator(Map<String, String> opts) throws IOException {
		this.opts = opts;
		this.api = required("api");
		this.worker = required("worker");
		this.emulator = required("emulator");
		this.token = opts.getOrDefault("token", "");
		for (String url : List.of(this.api, this.worker, this.emulator)) {
			requireLoopback(url);
		}
		for (String kv : opts.getOrDefault("pids", "").split(",")) {
			if (kv.contains("=")) {
				this.pids.put(kv.substring(0, kv.indexOf('=')), Long.parseLong(kv.substring(kv.indexOf('=') + 1)));
			}
		}
		Path out = Path.of(required("out"));
		Files.createDirectories(out.toAbsolutePath().getParent());
		this.raw = new PrintWriter(Files.newBufferedWriter(out, StandardCharsets.UTF_8,
				java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND), true);
		this.scenarioCap = Duration.ofSeconds(intOpt("scenario-cap-s", 150));
	}

	public static void main(String[] args) throws Exception {
		Map<String, String> opts = new LinkedHashMap<>();
		for (int i = 0; i < args.length; i++) {
			if (!args[i].startsWith("--")) {
				throw new IllegalArgumentException("unexpected argument " + args[i]);
			}
			String key = args[i].substring(2);
			if (key.contains("=")) {
				opts.put(key.substring(0, key.indexOf('=')), key.substring(key.indexOf('=') + 1));
			}
			else {
				opts.put(key, (i + 1 < args.length) ? args[++i] : "");
			}
		}
		LoadGenerator gen = new LoadGenerator(opts);
		// Last line of defence for "stops by itself": whatever hangs, the generator ends after --max-runtime-s.
		long maxRuntime = Long.parseLong(opts.getOrDefault("max-runtime-s", "1100"));
		Thread watchdog = new Thread(() -> {
			sleep(maxRuntime * 1000);
			System.err.println("LoadGenerator: --max-runtime-s " + maxRuntime + " reached, stopping");
			gen.raw.println("ABORTED: max runtime reached");
			gen.finish();
			Runtime.getRuntime().halt(3);
		}, "watchdog");
		watchdog.setDaemon(true);
		watchdog.start();
		// Stopped from outside (TERM from run-bench.sh's trap or timeout): still leave a partial summary.
		Runtime.getRuntime().addShutdownHook(new Thread(() -> {
			if (!gen.finished.get()) {
				gen.raw.println("ABORTED: stopped by a signal; partial results");
				gen.finish();
			}
		}, "partial-summary"));
		int rc = 0;
		try {
			gen.run();
		}
		catch (Exception ex) {
			gen.raw.println("ABORTED: " + ex);
			ex.printStackTrace();
			rc = 1;
		}
		finally {
			gen.finish();
		}
		System.exit(rc);
	}

	private String required(String name) {
		String v = this.opts.get(name);
		if (v == null || v.isBlank()) {
			throw new IllegalArgumentException("--" + name + " is required");
		}
		return v.endsWith("/") ? v.substring(0, v.length() - 1) : v;
	}

	private int intOpt(String name, int def) {
		return Integer.parseInt(this.opts.getOrDefault(name, Integer.toString(def)));
	}

	// ---- the run ------------------------------------------------------------------------------------
	private void run() throws Exception {
		String only = this.opts.getOrDefault("scenarios", "abcd");
		this.raw.println("# started " + Instant.now() + " api=" + this.api + " worker=" + this.worker + " emulator="
				+ this.emulator + " options=" + this.opts.keySet());
		h1("imagegen benchmark " + Instant.now().toString().substring(0, 19) + "Z");
		machine();
		startup();
		Map<String, Long> idleRss = rssTable("idle, after start-up", null);

		config(0);
		warmUp();
		if (only.contains("a")) {
			scenarioA();
			rssTable("after scenario (a)", idleRss);
		}
		if (only.contains("b")) {
			scenarioB();
			rssTable("after scenario (b)", idleRss);
		}
		if (only.contains("c")) {
			scenarioC();
		}
		if (only.contains("d")) {
			scenarioD(idleRss);
		}
	}

	private final java.util.concurrent.atomic.AtomicBoolean finished = new java.util.concurrent.atomic.AtomicBoolean();

	/** Writes the summary once: at the normal end, from the watchdog, or from the shutdown hook on TERM. */
	private void finish() {
		if (!this.finished.compareAndSet(false, true)) {
			return;
		}
		line("Load average at the end: " + loadAvg() + " (" + Runtime.getRuntime().availableProcessors() + " cores).");
		line("");
		if (!this.findings.isEmpty()) {
			h2("Findings (responses that break docs/api.md or the contract)");
			List<String> unique = new ArrayList<>(new java.util.LinkedHashSet<>(this.findings));
			for (String f : unique) {
				line("- " + f);
			}
		}
		else {
			h2("Findings");
			line("No response broke the checks (status, headers, body type) made by the load generator.");
		}
		String summary = this.md.toString();
		this.raw.println();
		this.raw.println("# ---- markdown summary ----");
		this.raw.print(summary);
		this.raw.flush();
		this.raw.close();
		System.out.print(summary);
		System.out.flush();
	}

	private void machine() {
		h2("Machine");
		line("| | |");
		line("|---|---|");
		line("| CPU | " + Runtime.getRuntime().availableProcessors() + " cores (" + cpuModel() + ") |");
		line("| memory | " + memTotal() + " |");
		line("| load average at start | " + loadAvg() + " |");
		line("| JVM running the generator | " + System.getProperty("java.vm.name") + " "
				+ System.getProperty("java.version") + " |");
		line("| service JVM options | `" + this.opts.getOrDefault("java-opts", "?") + "` |");
		line("");
	}

	private void startup() {
		String s = this.opts.get("startup");
		if (s == null) {
			return;
		}
		Map<String, String> springStarted = new LinkedHashMap<>();
		for (String kv : this.opts.getOrDefault("spring-started", "").split(",")) {
			if (kv.contains("=") && !kv.endsWith("=")) {
				springStarted.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1) + " s");
			}
		}
		h2("Start-up: launch to ready");
		line("Time from `java -jar` to the first 200 of the readiness URL (polled every 100 ms).");
		line("");
		line("| service | ready after | Spring's own \"Started … in\" | readiness URL |");
		line("|---|---:|---:|---|");
		for (String kv : s.split(",")) {
			String[] p = kv.split("=");
			String name = p[0];
			String url = switch (name) {
				case "emulator" -> "`/__emulator/config` (the emulator has no actuator)";
				case "worker" -> "`/actuator/health/readiness` (UP once a browser session holds a key)";
				default -> "`/actuator/health/readiness`";
			};
			line("| " + name + " | " + String.format(Locale.ROOT, "%.1f s", Long.parseLong(p[1]) / 1000.0) + " | "
					+ springStarted.getOrDefault(name, "–") + " | " + url + " |");
		}
		line("");
	}

	// ---- scenario (a): sequential generations -------------------------------------------------------
	private void warmUp() {
		// The very first generation is the cold path (JIT, connection pools, first page fetch): reported on its own.
		Res first = get(this.api + "/generate?prompt=" + enc("warm up 0") + "&format=png", Map.of());
		rawLine("warmup", 0, first);
		countGeneration(first);
		for (int i = 1; i < intOpt("warmup", 5); i++) {
			Res r = get(this.api + "/generate?prompt=" + enc("warm up " + i) + "&format=" + (i % 2 == 0 ? "png" : "jpeg"),
					Map.of());
			rawLine("warmup", i, r);
			countGeneration(r);
		}
		h2("First request");
		line("First generation after start-up (emulator latency 0, PNG): " + first.status + " in "
				+ ms(first.nanos) + " ms. Not part of the statistics below; " + intOpt("warmup", 5)
				+ " warm-up generations ran before scenario (a).");
		line("");
	}

	private void scenarioA() {
		int fast = intOpt("seq", 40);
		int slow = intOpt("seq-slow", 20);
		int slowLatency = intOpt("slow-latency-ms", 1000);
		h2("(a) Sequential generations through the API (1 client, " + intOpt("sessions", 1) + " worker session"
				+ (intOpt("sessions", 1) == 1 ? "" : "s") + ")");
		line("Each row: one client, one request at a time, random seed, square 768x768, a new prompt per request. "
				+ "*Overhead* = latency − emulator `generateLatencyMs`: the worker's in-page fetch, the emulator's "
				+ "rendering (10-40 ms), the download, the SHA-256 check, the PNG transcode, and the API hop.");
		line("");
		line("| format | emulator latency | n | ok | p50 | p95 | p99 | max | mean | overhead p50 | overhead p95 | bytes (mean) | req/s |");
		line("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
		deleteLog();
		int before = this.generations.get();
		for (int latency : new int[] { 0, slowLatency }) {
			config(latency);
			for (String format : new String[] { "png", "jpeg" }) {
				int n = (latency == 0) ? fast : slow;
				String name = "a-" + format + "-" + latency + "ms";
				Stats st = sequential(name, n, i -> this.api + "/generate?prompt="
						+ enc("bench " + name + " " + i + " a quiet harbour at dawn") + "&format=" + format, Map.of(),
						"image/" + format);
				line("| " + format + " | " + latency + " ms | " + st.count + " | " + st.ok() + " | " + st.p(50) + " | "
						+ st.p(95) + " | " + st.p(99) + " | " + st.max() + " | " + st.mean() + " | "
						+ minus(st.p(50), latency) + " | " + minus(st.p(95), latency) + " | "
						+ st.meanBytes() + " | " + st.rate() + " |");
			}
		}
		line("");
		// The same pipeline without the API hop: direct to the worker, each format, with the worker's own overhead:
		// its time less the emulator's own for the job's calls (the emulator logs each call's duration, its
		// rendering included), so that neither the upstream's latency nor its rendering is counted.
		config(0);
		int direct = intOpt("seq-direct", 20);
		Map<String, String> auth = new LinkedHashMap<>();
		auth.put("Content-Type", "application/json");
		if (!this.token.isEmpty()) {
			auth.put("Authorization", "Bearer " + this.token);
		}
		line("Straight to the worker (`POST /generate` with the bearer token), latency 0, i.e. without the API. "
				+ "*Own* = the worker's `X-Generation-Ms` less the emulator's time for the job's calls (`durationMs` "
				+ "of its log); *end to end less upstream* = the client's time less the same.");
		line("");
		line("| format | n | ok | p50 | p95 | `X-Queue-Wait-Ms` p50 | `X-Generation-Ms` p50 | emulator p50 | **own p50** | own p95 | end to end less upstream p50 |");
		line("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
		List<String> stepLines = new ArrayList<>();
		for (String format : List.of("jpeg", "png")) {
			String name = "a-direct-worker-" + format + "-0ms";
			Stats st = new Stats(name, 1);
			List<Long> upstream = new ArrayList<>();
			List<Long> own = new ArrayList<>();
			List<Long> endToEnd = new ArrayList<>();
			Map<String, double[]> stepsBefore = workerSteps();
			long deadline = System.nanoTime() + this.scenarioCap.toNanos();
			long t0 = System.nanoTime();
			for (int i = 0; i < direct && System.nanoTime() < deadline; i++) {
				deleteLog();
				String body = "{\"prompt\":\"bench direct " + format + " " + i + " a quiet harbour at dawn\",\"format\":\""
						+ format + "\"}";
				Res r = send("POST", this.worker + "/generate", auth, body);
				st.add(r);
				rawLine(name, i, r);
				if (r.status != 200) {
					finding("POST /generate (worker, direct, " + format + ") → " + r.status + " " + r.snippet());
					continue;
				}
				this.generations.incrementAndGet();
				long emulatorMs = emulatorMillis();
				upstream.add(emulatorMs);
				r.header("X-Generation-Ms").map(LoadGenerator::parseLongOr0).ifPresent((g) -> own.add(g - emulatorMs));
				endToEnd.add(Math.round(r.nanos / 1e6) - emulatorMs);
			}
			st.wallNanos = System.nanoTime() - t0;
			line("| " + format + " | " + st.count + " | " + st.ok() + " | " + st.p(50) + " | " + st.p(95) + " | "
					+ st.headerP50("X-Queue-Wait-Ms") + " | " + st.headerP50("X-Generation-Ms") + " | "
					+ percentile(upstream, 50) + " | **" + percentile(own, 50) + "** | " + percentile(own, 95) + " | "
					+ percentile(endToEnd, 50) + " |");
			stepLines.add(format + ": " + stepMeans(stepsBefore, workerSteps()));
		}
		line("");
		line("The worker's steps over those jobs, mean ms per call (`imagegen_worker_step_seconds`): "
				+ String.join("; ", stepLines) + ".");
		line("");
		int gens = this.generations.get() - before;
		Map<String, Integer> paths = logPaths();
		line("Upstream calls seen by the emulator during (a), " + gens + " successful generations: "
				+ describe(paths) + ".");
		line("");
	}

	// ---- scenario (b): concurrency against one session -----------------------------------------------
	private void scenarioB() throws InterruptedException {
		int clients = intOpt("clients", 8);
		int total = intOpt("conc-requests", 64);
		int sessions = intOpt("sessions", 1);
		h2("(b) Concurrent clients against " + sessions + " worker session" + (sessions == 1 ? "" : "s"));
		line("Closed loop: " + clients + " clients share a budget of " + total + " requests (random seed, PNG); a "
				+ "client that gets a 503 waits `Retry-After` (capped at 2 s) before its next request. Worker queue "
				+ "capacity is the default 16 unless `WORKER_QUEUE_CAPACITY` was set.");
		line("");
		line("| emulator latency | clients | requests | 200 | 503 queue-full | other | duration | throughput | p50 | p95 | max |");
		line("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
		for (int latency : new int[] { 0, intOpt("conc-latency-ms", 500) }) {
			config(latency);
			Stats st = concurrent("b-closed-" + clients + "c-" + latency + "ms", clients, total,
					i -> this.api + "/generate?prompt=" + enc("bench concurrent " + i + " lighthouse") + "&format=png");
			line("| " + latency + " ms | " + clients + " | " + st.count + " | " + st.byStatus(200) + " | "
					+ st.queueFull + " | " + (st.count - st.byStatus(200) - st.queueFull) + " | "
					+ String.format(Locale.ROOT, "%.1f s", st.wallNanos / 1e9) + " | " + st.rate() + " req/s | "
					+ st.p(50) + " | " + st.p(95) + " | " + st.max() + " |");
		}
		line("");

		// Burst: more simultaneous requests than one running job + the queue can hold.
		int burst = intOpt("burst", 24);
		int burstLatency = intOpt("burst-latency-ms", 1000);
		config(burstLatency);
		Stats st = burst("b-burst-" + burst, burst,
				i -> this.api + "/generate?prompt=" + enc("bench burst " + i + " lighthouse") + "&format=png");
		line("Burst: " + burst + " requests sent at the same instant (emulator latency " + burstLatency + " ms): "
				+ st.byStatus(200) + " × 200, " + st.queueFull + " × 503 `queue-full` (all with `Retry-After`: "
				+ (st.queueFullWithRetryAfter == st.queueFull ? "yes" : "NO, only " + st.queueFullWithRetryAfter)
				+ "; values " + st.retryAfterValues + "), other statuses " + st.statusCounts() + ". 503s answered in p50 "
				+ st.p50Of(503) + " ms; the last 200 after " + st.max() + " ms.");
		line("");
		config(0);
	}

	// ---- scenario (c): cheap paths ------------------------------------------------------------------
	private void scenarioC() throws InterruptedException {
		int n = intOpt("cheap", 1000);
		int clients = intOpt("cheap-clients", 8);
		h2("(c) Cheap paths (no generation expected)");
		line("Each path: " + n + " requests from 1 client (latency), then " + n + " from " + clients
				+ " clients (throughput). The emulator's request log is cleared before and read after each path.");
		line("");
		line("| path | clients | n | statuses | p50 | p95 | p99 | max | throughput | emulator calls during the run |");
		line("|---|---:|---:|---|---:|---:|---:|---:|---:|---|");
		config(0);

		// 304: one real generation with a fixed seed to learn the ETag, then only revalidations.
		String fixed = this.api + "/generate?prompt=" + enc("bench etag fox") + "&seed=4242&format=png";
		Res seedRes = get(fixed, Map.of());
		countGeneration(seedRes);
		rawLine("c-etag-seed", 0, seedRes);
		String etag = seedRes.header("ETag").orElse(null);
		checkImage("GET " + path(fixed), seedRes, "image/png", true);
		if (etag == null) {
			finding("GET " + path(fixed) + " → " + seedRes.status + " without an ETag; the 304 scenario cannot run");
		}
		else {
			Map<String, String> inm = Map.of("If-None-Match", etag);
			cheapRow("`GET /generate?...&seed=4242` + `If-None-Match` → 304", n, clients, i -> fixed, inm, 304,
					this::check304);
		}
		cheapRow("`GET /generate?seed=abc` (no prompt) → 400", n, clients,
				i -> this.api + "/generate?seed=abc&shape=round", Map.of(), 400, this::check400);
		cheapRow("`GET /health`", n, clients, i -> this.api + "/health", Map.of(), 200, this::checkHealth);
		line("");
		if (this.healthNote != null) {
			line(this.healthNote);
			line("");
		}
	}

	private void cheapRow(String label, int n, int clients, IntFunction<String> url, Map<String, String> headers,
			int expected, Checker checker) throws InterruptedException {
		deleteLog();
		long workerHealthBefore = workerHealthCalls();
		String tag = "c-" + label.replaceAll("[^a-z0-9]+", "-").replaceAll("^-|-$", "");
		Stats one = run(tag + "-1c", 1, n, url, headers, null, checker);
		Stats many = run(tag + "-" + clients + "c", clients, n, url, headers, null, checker);
		Map<String, Integer> paths = logPaths();
		long workerHealthDelta = workerHealthCalls() - workerHealthBefore;
		double seconds = (one.wallNanos + many.wallNanos) / 1e9;
		this.raw.println("worker /health calls during " + label + ": " + workerHealthDelta + " in "
				+ String.format(Locale.ROOT, "%.1f", seconds) + " s");
		if (label.contains("/health")) {
			this.healthNote = "While the API's `/health` was polled " + (one.count + many.count) + " times in "
					+ String.format(Locale.ROOT, "%.1f s", seconds) + ", the worker's own `GET /health` counter "
					+ "(`http_server_requests_seconds_count{uri=\"/health\"}` on its `/actuator/prometheus`) rose by "
					+ (workerHealthBefore < 0 ? "n/a (metric not readable)" : Long.toString(workerHealthDelta))
					+ " (the API caches each worker's health for 5 s), and the emulator logged "
					+ (paths.isEmpty() ? "no request at all" : describe(paths)) + ".";
		}
		int gen = paths.getOrDefault("/api/generate", 0);
		String calls = paths.isEmpty() ? "none" : describe(paths);
		if (gen > 0) {
			finding(label + ": the emulator saw " + gen + " generate call(s) during a run that should trigger none");
		}
		for (Stats st : List.of(one, many)) {
			if (st.byStatus(expected) != st.count) {
				finding(label + ": expected " + expected + " for every request, got " + st.statusCounts());
			}
			line("| " + label + " | " + st.clients + " | " + st.count + " | " + st.statusCounts() + " | "
					+ st.pf(50) + " | " + st.pf(95) + " | " + st.pf(99) + " | " + st.pf(100) + " | " + st.rate()
					+ " req/s | " + (st == many ? calls : "(see next row)") + " |");
		}
	}

	// ---- scenario (d): memory after load -------------------------------------------------------------
	private void scenarioD(Map<String, Long> idle) {
		int target = intOpt("target-generations", 200);
		config(0);
		int every = intOpt("rss-every", 100);
		List<String> trend = new ArrayList<>();
		trend.add(trendRow());
		long deadline = System.nanoTime() + this.scenarioCap.toNanos();
		// In chunks, sampling memory between them, so that growth shows as a trend and not as one number.
		while (this.generations.get() < target && System.nanoTime() < deadline) {
			int chunk = Math.min(every - this.generations.get() % every, target - this.generations.get());
			int base = this.generations.get();
			Stats st = sequential("d-topup", chunk,
					i -> this.api + "/generate?prompt=" + enc("bench topup " + (base + i) + " mountain lake") + "&format="
							+ ((base + i) % 2 == 0 ? "png" : "jpeg"), Map.of(), null);
			if (st.ok() == 0) {
				break;
			}
			trend.add(trendRow());
		}
		h2("(d) Memory after load");
		line(this.generations.get() + " successful generations so far in this run (target " + target + "; top-up "
				+ "generations at latency 0, PNG and JPEG alternating, fill the gap).");
		line("");
		rssTable("after " + this.generations.get() + " generations", idle);
		if (trend.size() > 2) {
			h3("Memory during the top-up");
			line("| generations | emulator RSS | worker JVM RSS | worker + Chromium PSS | largest Chromium process (PSS) | api RSS |");
			line("|---:|---:|---:|---:|---:|---:|");
			trend.forEach(this::line);
			line("");
		}
	}

	private String trendRow() {
		long emu = rssKb(this.pids.getOrDefault("emulator", -1L));
		long api = rssKb(this.pids.getOrDefault("api", -1L));
		long workerPid = this.pids.getOrDefault("worker", -1L);
		long workerRss = rssKb(workerPid);
		long treePss = pssKb(workerPid);
		long largest = 0;
		String largestName = "";
		for (ProcessHandle d : ProcessHandle.of(workerPid).map(ph -> ph.descendants().toList()).orElse(List.of())) {
			long pss = pssKb(d.pid());
			treePss += pss;
			if (pss > largest) {
				largest = pss;
				String cmd = d.info().commandLine().orElse("");
				Matcher m = Pattern.compile("--type=([a-z-]+)").matcher(cmd);
				largestName = m.find() ? m.group(1) : (cmd.contains("chrom") ? "browser" : "driver");
			}
		}
		String row = "| " + this.generations.get() + " | " + mb(emu) + " | " + mb(workerRss) + " | " + mb(treePss) + " | "
				+ mb(largest) + " (" + largestName + ") | " + mb(api) + " |";
		this.raw.println("trend " + row);
		return row;
	}

	// ---- memory -------------------------------------------------------------------------------------
	private Map<String, Long> rssTable(String when, Map<String, Long> baseline) {
		Map<String, Long> now = new LinkedHashMap<>();
		if (this.pids.isEmpty()) {
			return now;
		}
		h3("RSS " + when);
		line("| process | JVM RSS | Δ vs idle | with child processes (RSS sum) | with child processes (PSS sum) | children |");
		line("|---|---:|---:|---:|---:|---:|");
		for (Map.Entry<String, Long> e : this.pids.entrySet()) {
			long pid = e.getValue();
			long rss = rssKb(pid);
			List<Long> kids = new ArrayList<>();
			ProcessHandle.of(pid).ifPresent(ph -> ph.descendants().forEach(d -> kids.add(d.pid())));
			long treeRss = rss;
			long treePss = pssKb(pid);
			for (long k : kids) {
				treeRss += Math.max(0, rssKb(k));
				treePss += Math.max(0, pssKb(k));
			}
			now.put(e.getKey(), rss);
			String delta = (baseline != null && baseline.containsKey(e.getKey()))
					? String.format(Locale.ROOT, "%+d MB", (rss - baseline.get(e.getKey())) / 1024) : "–";
			line("| " + e.getKey() + " (pid " + pid + ") | " + mb(rss) + " | " + delta + " | "
					+ (kids.isEmpty() ? "–" : mb(treeRss)) + " | " + (kids.isEmpty() ? "–" : mb(treePss)) + " | "
					+ kids.size() + " |");
			this.raw.println("rss " + when + " " + e.getKey() + " pid=" + pid + " rssKb=" + rss + " treeRssKb=" + treeRss
					+ " treePssKb=" + treePss + " children=" + kids.size());
		}
		line("");
		return now;
	}

	private static long rssKb(long pid) {
		try {
			Process p = new ProcessBuilder("ps", "-o", "rss=", "-p", Long.toString(pid)).redirectErrorStream(true)
				.start();
			String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
			p.waitFor(5, TimeUnit.SECONDS);
			return out.isEmpty() ? -1 : Long.parseLong(out);
		}
		catch (Exception ex) {
			return -1;
		}
	}

	private static long pssKb(long pid) {
		try {
			for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/smaps_rollup"))) {
				if (l.startsWith("Pss:")) {
					return Long.parseLong(l.replaceAll("[^0-9]", ""));
				}
			}
		}
		catch (Exception ex) {
			// process gone or no permission
		}
		return 0;
	}

	// ---- request loops ------------------------------------------------------------------------------
	private Stats sequential(String name, int n, IntFunction<String> url, Map<String, String> headers,
			String expectType) {
		Stats st = new Stats(name, 1);
		long deadline = System.nanoTime() + this.scenarioCap.toNanos();
		long t0 = System.nanoTime();
		for (int i = 0; i < n && System.nanoTime() < deadline; i++) {
			String u = url.apply(i);
			Res r = get(u, headers);
			st.add(r);
			rawLine(name, i, r);
			countGeneration(r);
			if (expectType != null) {
				checkImage("GET " + path(u), r, expectType, false);
			}
		}
		st.wallNanos = System.nanoTime() - t0;
		capNote(st, n);
		return st;
	}

	private Stats concurrent(String name, int clients, int total, IntFunction<String> url) throws InterruptedException {
		return run(name, clients, total, url, Map.of(), "image/png", null);
	}

	/** Closed loop: {@code clients} threads take request numbers from a shared budget until it or the cap runs out. */
	private Stats run(String name, int clients, int total, IntFunction<String> url, Map<String, String> headers,
			String expectImage, Checker checker) throws InterruptedException {
		Stats st = new Stats(name, clients);
		AtomicInteger next = new AtomicInteger();
		long deadline = System.nanoTime() + this.scenarioCap.toNanos();
		ExecutorService pool = Executors.newFixedThreadPool(clients);
		long t0 = System.nanoTime();
		for (int c = 0; c < clients; c++) {
			pool.submit(() -> {
				int i;
				while ((i = next.getAndIncrement()) < total && System.nanoTime() < deadline) {
					String u = url.apply(i);
					Res r = get(u, headers);
					st.add(r);
					rawLine(name, i, r);
					countGeneration(r);
					if (expectImage != null) {
						checkImage("GET " + path(u), r, expectImage, false);
					}
					if (checker != null) {
						checker.check("GET " + path(u) + headerNote(headers), r);
					}
					if (r.status == 503) {
						st.noteQueueFull(r, this);
						long wait = r.header("Retry-After").map(LoadGenerator::parseLongOr0).orElse(1L);
						sleep(Math.min(2000, wait * 1000));
					}
					else if (r.status == 429) {
						sleep(1000);
					}
				}
			});
		}
		pool.shutdown();
		pool.awaitTermination(this.scenarioCap.toSeconds() + 70, TimeUnit.SECONDS);
		pool.shutdownNow();
		st.wallNanos = System.nanoTime() - t0;
		capNote(st, total);
		return st;
	}

	/** {@code n} requests released at the same instant, one per thread. */
	private Stats burst(String name, int n, IntFunction<String> url) throws InterruptedException {
		Stats st = new Stats(name, n);
		CountDownLatch ready = new CountDownLatch(n);
		CountDownLatch go = new CountDownLatch(1);
		ExecutorService pool = Executors.newFixedThreadPool(n);
		long[] t0 = new long[1];
		for (int c = 0; c < n; c++) {
			int i = c;
			pool.submit(() -> {
				ready.countDown();
				try {
					go.await();
				}
				catch (InterruptedException ex) {
					return;
				}
				String u = url.apply(i);
				String rid = "bench-burst-" + i;
				Res r = get(u, Map.of("X-Request-Id", rid));
				st.add(r);
				rawLine(name, i, r);
				countGeneration(r);
				if (!rid.equals(r.header("X-Request-Id").orElse(null))) {
					finding("GET " + path(u) + " with X-Request-Id: " + rid + " → " + r.status + " echoed X-Request-Id `"
							+ r.header("X-Request-Id").orElse("(none)") + "`");
				}
				if (r.status == 503) {
					st.noteQueueFull(r, this);
					checkProblem("GET " + path(u) + " (burst)", r, rid);
				}
				else {
					checkImage("GET " + path(u), r, "image/png", false);
				}
			});
		}
		ready.await(10, TimeUnit.SECONDS);
		t0[0] = System.nanoTime();
		go.countDown();
		pool.shutdown();
		pool.awaitTermination(this.scenarioCap.toSeconds(), TimeUnit.SECONDS);
		pool.shutdownNow();
		st.wallNanos = System.nanoTime() - t0[0];
		return st;
	}

	private void capNote(Stats st, int planned) {
		if (st.count < planned) {
			line("> " + st.name + ": stopped by the time cap (" + this.scenarioCap.toSeconds() + " s) after " + st.count
					+ " of " + planned + " requests.");
			line("");
		}
	}

	// ---- checks -------------------------------------------------------------------------------------
	interface Checker {
		void check(String request, Res r);
	}

	private void checkImage(String request, Res r, String expectType, boolean fixedSeed) {
		if (r.status == 503 && r.header("Retry-After").isPresent()) {
			return; // counted by the caller
		}
		if (r.status != 200) {
			finding(request + " → " + r.status + " " + r.snippet());
			return;
		}
		String ct = r.header("Content-Type").orElse("");
		if (!ct.startsWith(expectType)) {
			finding(request + " → 200 with Content-Type `" + ct + "`, expected " + expectType);
		}
		boolean png = r.body.length > 8 && (r.body[0] & 0xff) == 0x89 && r.body[1] == 'P';
		boolean jpeg = r.body.length > 3 && (r.body[0] & 0xff) == 0xFF && (r.body[1] & 0xff) == 0xD8;
		if (expectType.endsWith("png") ? !png : !jpeg) {
			finding(request + " → 200 but the bytes are not " + expectType);
		}
		String len = r.header("Content-Length").orElse(null);
		if (len != null && Long.parseLong(len) != r.body.length) {
			finding(request + " → Content-Length " + len + " but " + r.body.length + " bytes");
		}
		for (String h : List.of("X-Seed", "X-Request-Id", "Content-Disposition", "Cache-Control")) {
			if (r.header(h).isEmpty()) {
				finding(request + " → 200 without " + h);
			}
		}
		String cc = r.header("Cache-Control").orElse("");
		if (fixedSeed ? !cc.contains("immutable") : !cc.contains("no-store")) {
			finding(request + " → Cache-Control `" + cc + "` (fixed seed: " + fixedSeed + ")");
		}
	}

	private void check304(String request, Res r) {
		if (r.status != 304) {
			return;
		}
		for (String h : List.of("ETag", "Cache-Control", "X-Seed", "X-Request-Id")) {
			if (r.header(h).isEmpty()) {
				finding(request + " → 304 without " + h);
			}
		}
		if (r.body.length > 0) {
			finding(request + " → 304 with a " + r.body.length + "-byte body");
		}
	}

	private void check400(String request, Res r) {
		if (r.status != 400) {
			return;
		}
		String ct = r.header("Content-Type").orElse("");
		String body = r.text();
		if (!ct.startsWith("application/problem+json")) {
			finding(request + " → 400 with Content-Type `" + ct + "`");
		}
		for (String field : List.of("\"type\"", "\"title\"", "\"status\"", "\"detail\"", "\"instance\"", "\"requestId\"",
				"\"errors\"")) {
			if (!body.contains(field)) {
				finding(request + " → 400 problem without " + field + ": " + r.snippet());
			}
		}
		if (!r.header("Cache-Control").orElse("").contains("no-store")) {
			finding(request + " → 400 without Cache-Control: no-store");
		}
		if (r.header("X-Request-Id").isEmpty()) {
			finding(request + " → 400 without X-Request-Id");
		}
	}

	private void checkProblem(String request, Res r, String rid) {
		String body = r.text();
		for (String field : List.of("\"type\"", "\"title\"", "\"status\"", "\"detail\"", "\"instance\"",
				"\"requestId\"")) {
			if (!body.contains(field)) {
				finding(request + " → " + r.status + " problem without " + field + ": " + r.snippet());
			}
		}
		if (rid != null && !body.contains("\"requestId\":\"" + rid + "\"")) {
			finding(request + " → " + r.status + " problem whose requestId is not the caller's " + rid + ": "
					+ r.snippet());
		}
		if (!r.header("Cache-Control").orElse("").contains("no-store")) {
			finding(request + " → " + r.status + " without Cache-Control: no-store");
		}
		if (!r.header("Vary").orElse("").contains("Accept")) {
			finding(request + " → " + r.status + " without Vary: Accept (docs/api.md: error responses carry it)");
		}
	}

	private void checkHealth(String request, Res r) {
		String body = r.text();
		if (r.status != 200 || !body.contains("\"status\":\"UP\"")) {
			finding(request + " → " + r.status + " " + r.snippet());
		}
	}

	void finding(String f) {
		this.findings.add(f);
	}

	private void countGeneration(Res r) {
		if (r.status == 200 && r.header("Content-Type").orElse("").startsWith("image/")) {
			this.generations.incrementAndGet();
		}
	}

	// ---- HTTP ---------------------------------------------------------------------------------------
	private Res get(String url, Map<String, String> headers) {
		return send("GET", url, headers, null);
	}

	private Res send(String method, String url, Map<String, String> headers, String body) {
		HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(this.requestTimeout);
		headers.forEach(b::header);
		b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
				: HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
		long t0 = System.nanoTime();
		try {
			HttpResponse<byte[]> resp = this.http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
			return new Res(resp.statusCode(), System.nanoTime() - t0, resp.headers().map(), resp.body());
		}
		catch (IOException ex) {
			return new Res(-1, System.nanoTime() - t0, Map.of(), ex.toString().getBytes(StandardCharsets.UTF_8));
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return new Res(-2, System.nanoTime() - t0, Map.of(), new byte[0]);
		}
	}

	private void config(int latencyMs) {
		Res r = send("POST", this.emulator + "/__emulator/config", Map.of("Content-Type", "application/json"),
				"{\"generateLatencyMs\":" + latencyMs + "}");
		if (r.status != 200) {
			throw new IllegalStateException("emulator config → " + r.status + " " + r.text());
		}
		this.raw.println("config generateLatencyMs=" + latencyMs);
	}

	private void deleteLog() {
		send("DELETE", this.emulator + "/__emulator/log", Map.of(), null);
	}

	private static final Pattern STEP = Pattern
		.compile("(?m)^imagegen_worker_step_seconds_(sum|count)\\{[^}]*step=\"([a-z-]+)\"[^}]*}\\s+([0-9.eE+]+)");

	/** The worker's step timers now: step → {seconds, count}, summed over their tags; empty if not readable. */
	private Map<String, double[]> workerSteps() {
		String token = System.getenv().getOrDefault("METRICS_TOKEN", "");
		Res r = get(this.worker + "/actuator/prometheus", Map.of("Authorization", "Bearer " + token));
		Map<String, double[]> steps = new TreeMap<>();
		if (r.status != 200) {
			return steps;
		}
		Matcher m = STEP.matcher(r.text());
		while (m.find()) {
			double[] v = steps.computeIfAbsent(m.group(2), (k) -> new double[2]);
			v[m.group(1).equals("sum") ? 0 : 1] += Double.parseDouble(m.group(3));
		}
		return steps;
	}

	private static String stepMeans(Map<String, double[]> before, Map<String, double[]> after) {
		StringBuilder sb = new StringBuilder();
		after.forEach((step, v) -> {
			double[] b = before.getOrDefault(step, new double[2]);
			double calls = v[1] - b[1];
			if (calls > 0) {
				sb.append((sb.length() == 0) ? "" : ", ").append(step).append(' ')
					.append(String.format(Locale.ROOT, "%.1f", (v[0] - b[0]) * 1000 / calls));
			}
		});
		return (sb.length() == 0) ? "not readable" : sb.toString();
	}

	private static final Pattern DURATION = Pattern.compile("\"durationMs\":([0-9]+)");

	/** The emulator's own time for every call it logged since the last {@link #deleteLog()}, in ms. */
	private long emulatorMillis() {
		Res r = get(this.emulator + "/__emulator/log", Map.of());
		long sum = 0;
		Matcher m = DURATION.matcher(r.text());
		while (m.find()) {
			sum += Long.parseLong(m.group(1));
		}
		return sum;
	}

	/** The nearest-rank percentile of a list, or "–" when it is empty. */
	private static String percentile(List<Long> values, int p) {
		if (values.isEmpty()) {
			return "–";
		}
		List<Long> sorted = new ArrayList<>(values);
		Collections.sort(sorted);
		return Long.toString(sorted.get(Math.max(0, (int) Math.ceil(p / 100.0 * sorted.size()) - 1)));
	}

	private static final Pattern HEALTH_COUNT = Pattern
		.compile("(?m)^http_server_requests_seconds_count\\{[^}]*uri=\"/health\"[^}]*}\\s+([0-9.eE+]+)");

	/** Requests the worker served on {@code /health} so far (its Micrometer counter), or -1. */
	private long workerHealthCalls() {
		// The worker serves metrics on its main port only to METRICS_TOKEN's bearer (run-bench.sh sets one).
		String token = System.getenv().getOrDefault("METRICS_TOKEN", "");
		Res r = get(this.worker + "/actuator/prometheus", Map.of("Authorization", "Bearer " + token));
		if (r.status != 200) {
			return -1;
		}
		Matcher m = HEALTH_COUNT.matcher(r.text());
		double sum = 0;
		boolean any = false;
		while (m.find()) {
			sum += Double.parseDouble(m.group(1));
			any = true;
		}
		return any ? Math.round(sum) : 0;
	}

	private static final Pattern PATH = Pattern.compile("\"path\":\"([^\"]*)\"");

	/** The {@code type} member of a problem-details body. */
	private static final Pattern PROBLEM_TYPE = Pattern.compile("\"type\"\\s*:\\s*\"([^\"]*)\"");

	/** Emulator log entries by path, since the last {@link #deleteLog()}. */
	private Map<String, Integer> logPaths() {
		Res r = get(this.emulator + "/__emulator/log", Map.of());
		Map<String, Integer> counts = new TreeMap<>();
		Matcher m = PATH.matcher(r.text());
		while (m.find()) {
			counts.merge(m.group(1), 1, Integer::sum);
		}
		return counts;
	}

	private static String describe(Map<String, Integer> paths) {
		if (paths.isEmpty()) {
			return "none";
		}
		StringBuilder sb = new StringBuilder();
		paths.forEach((p, c) -> sb.append(sb.length() == 0 ? "" : ", ").append('`').append(p).append("` ×").append(c));
		return sb.toString();
	}

	private void rawLine(String scenario, int i, Res r) {
		synchronized (this.raw) {
			this.raw.println(String.join("\t", scenario, Integer.toString(i), Integer.toString(r.status),
					String.format(Locale.ROOT, "%.2f", r.nanos / 1e6), Integer.toString(r.body.length),
					"seed=" + r.header("X-Seed").orElse("-"), "rid=" + r.header("X-Request-Id").orElse("-"),
					"retryAfter=" + r.header("Retry-After").orElse("-"),
					"genMs=" + r.header("X-Generation-Ms").orElse("-"),
					"type=" + r.problemType()));
		}
	}

	// ---- small helpers ------------------------------------------------------------------------------
	private void h1(String s) {
		line("# " + s);
		line("");
	}

	private void h2(String s) {
		line("## " + s);
		line("");
	}

	private void h3(String s) {
		line("### " + s);
		line("");
	}

	private synchronized void line(String s) {
		this.md.append(s).append('\n');
	}

	private static String enc(String s) {
		return URLEncoder.encode(s, StandardCharsets.UTF_8);
	}

	private static String path(String url) {
		URI u = URI.create(url);
		return u.getRawPath() + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery());
	}

	private static String headerNote(Map<String, String> headers) {
		return headers.containsKey("If-None-Match") ? " with If-None-Match" : "";
	}

	private static String ms(long nanos) {
		return String.format(Locale.ROOT, "%.0f", nanos / 1e6);
	}

	private static String minus(String a, int b) {
		try {
			return Long.toString(Long.parseLong(a) - b);
		}
		catch (NumberFormatException ex) {
			return "–";
		}
	}

	private static String mb(long kb) {
		return kb < 0 ? "gone" : String.format(Locale.ROOT, "%d MB", Math.round(kb / 1024.0));
	}

	private static long parseLongOr0(String s) {
		try {
			return Long.parseLong(s.trim());
		}
		catch (NumberFormatException ex) {
			return 0;
		}
	}

	private static void sleep(long ms) {
		try {
			Thread.sleep(ms);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
	}

	private static String cpuModel() {
		try {
			return Files.readAllLines(Path.of("/proc/cpuinfo"))
				.stream()
				.filter(l -> l.startsWith("model name"))
				.findFirst()
				.map(l -> l.substring(l.indexOf(':') + 1).trim())
				.orElse("?");
		}
		catch (IOException ex) {
			return "?";
		}
	}

	private static String memTotal() {
		try {
			return Files.readAllLines(Path.of("/proc/meminfo"))
				.stream()
				.filter(l -> l.startsWith("MemTotal"))
				.findFirst()
				.map(l -> (Long.parseLong(l.replaceAll("[^0-9]", "")) / 1024 / 1024) + " GiB")
				.orElse("?");
		}
		catch (IOException ex) {
			return "?";
		}
	}

	static String loadAvg() {
		try {
			String[] p = Files.readString(Path.of("/proc/loadavg")).split(" ");
			return p[0] + ", " + p[1] + ", " + p[2];
		}
		catch (IOException ex) {
			return "?";
		}
	}

	// ---- data ---------------------------------------------------------------------------------------
	record Res(int status, long nanos, Map<String, List<String>> headers, byte[] body, int length) {

		Res(int status, long nanos, Map<String, List<String>> headers, byte[] body) {
			this(status, nanos, headers, body, body.length);
		}

		/** The same result without image bytes, so that statistics over thousands of images stay small. */
		Res slim() {
			return this.body.length <= 8192 ? this : new Res(this.status, this.nanos, this.headers, new byte[0], this.length);
		}

		Optional<String> header(String name) {
			for (Map.Entry<String, List<String>> e : this.headers.entrySet()) {
				if (e.getKey() != null && e.getKey().equalsIgnoreCase(name) && !e.getValue().isEmpty()) {
					return Optional.of(e.getValue().get(0));
				}
			}
			return Optional.empty();
		}

		String text() {
			return new String(this.body, StandardCharsets.UTF_8);
		}

		String snippet() {
			String t = header("Content-Type").orElse("").startsWith("image/") ? "<image>" : text();
			return t.length() > 300 ? t.substring(0, 300) + "…" : t;
		}

		String problemType() {
			if (!header("Content-Type").orElse("").contains("json")) {
				return "-";
			}
			Matcher m = PROBLEM_TYPE.matcher(text());
			return m.find() ? m.group(1).replaceAll(".*/", "") : "-";
		}
	}

	static final class Stats {

		final String name;
		final int clients;
		final ConcurrentLinkedQueue<Res> results = new ConcurrentLinkedQueue<>();
		volatile long wallNanos;
		int count;
		int queueFull;
		int queueFullWithRetryAfter;
		final List<String> retryAfterValues = new ArrayList<>();

		Stats(String name, int clients) {
			this.name = name;
			this.clients = clients;
		}

		synchronized void add(Res r) {
			this.results.add(r.slim());
			this.count++;
		}

		synchronized void noteQueueFull(Res r, LoadGenerator gen) {
			String type = r.problemType();
			Optional<String> ra = r.header("Retry-After");
			if (type.equals("queue-full")) {
				this.queueFull++;
				if (ra.isPresent()) {
					this.queueFullWithRetryAfter++;
					if (!this.retryAfterValues.contains(ra.get()) && this.retryAfterValues.size() < 12) {
						this.retryAfterValues.add(ra.get());
					}
				}
			}
			if (ra.isEmpty()) {
				gen.finding("503 (" + type + ") without Retry-After: " + r.snippet());
			}
			if (!r.header("Content-Type").orElse("").startsWith("application/problem+json")) {
				gen.finding("503 with Content-Type " + r.header("Content-Type").orElse("(none)"));
			}
		}

		int ok() {
			return byStatus(200);
		}

		int byStatus(int s) {
			return (int) this.results.stream().filter(r -> r.status == s).count();
		}

		String statusCounts() {
			Map<Integer, Integer> m = new TreeMap<>();
			this.results.forEach(r -> m.merge(r.status, 1, Integer::sum));
			StringBuilder sb = new StringBuilder();
			m.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : ", ").append(k).append(" ×").append(v));
			return sb.length() == 0 ? "none" : sb.toString();
		}

		private List<Double> sortedMs(int status) {
			List<Double> l = new ArrayList<>();
			for (Res r : this.results) {
				if (status == 0 || r.status == status) {
					l.add(r.nanos / 1e6);
				}
			}
			Collections.sort(l);
			return l;
		}

		/** Percentile (nearest rank) of successful requests, whole ms; all requests when none succeeded. */
		String p(double pct) {
			List<Double> l = sortedMs(200);
			if (l.isEmpty()) {
				l = sortedMs(0);
			}
			return l.isEmpty() ? "–" : String.format(Locale.ROOT, "%.0f", rank(l, pct));
		}

		/** Percentile of all requests with a decimal, for sub-millisecond paths. */
		String pf(double pct) {
			List<Double> l = sortedMs(0);
			return l.isEmpty() ? "–" : String.format(Locale.ROOT, "%.1f", rank(l, pct));
		}

		String p50Of(int status) {
			List<Double> l = sortedMs(status);
			return l.isEmpty() ? "–" : String.format(Locale.ROOT, "%.0f", rank(l, 50));
		}

		private static double rank(List<Double> sorted, double pct) {
			int idx = (int) Math.ceil(pct / 100.0 * sorted.size()) - 1;
			return sorted.get(Math.max(0, Math.min(sorted.size() - 1, idx)));
		}

		String max() {
			return p(100);
		}

		String mean() {
			List<Double> l = sortedMs(200);
			return l.isEmpty() ? "–"
					: String.format(Locale.ROOT, "%.0f", l.stream().mapToDouble(Double::doubleValue).average().orElse(0));
		}

		String meanBytes() {
			return String.format(Locale.ROOT, "%.0f",
					this.results.stream().filter(r -> r.status == 200).mapToInt(Res::length).average().orElse(0));
		}

		String rate() {
			return this.wallNanos <= 0 ? "–" : String.format(Locale.ROOT, "%.1f", this.count / (this.wallNanos / 1e9));
		}

		String headerP50(String header) {
			List<Long> l = new ArrayList<>();
			for (Res r : this.results) {
				r.header(header).map(LoadGenerator::parseLongOr0).ifPresent(l::add);
			}
			if (l.isEmpty()) {
				return "–";
			}
			Collections.sort(l);
			return Long.toString(l.get(Math.max(0, (int) Math.ceil(0.5 * l.size()) - 1)));
		}
	}

	/** Loopback only: the generator refuses to send load anywhere else. */
	private static void requireLoopback(String url) {
		String host = URI.create(url).getHost();
		if (!host.equals("127.0.0.1") && !host.equals("localhost") && !host.equals("::1")) {
			throw new UncheckedIOException(new IOException("refusing non-loopback target " + url));
		}
	}
}

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Load for bench/jobs.sh (issue 12's benchmark), single file, JDK only, loopback only. Two modes:
 *
 * <ul>
 * <li>{@code java bench/JobsLoad.java subscribe JOB_URL N}: opens N event streams on one job
 * ({@code JOB_URL/events}), prints {@code connected <n>} once each has its first event, then
 * {@code ended <n> <terminal> <comments> <spreadMs>} once every stream has ended: how many saw the terminal event,
 * how many keep-alive comments arrived in all, and the time between the first and the last terminal event.</li>
 * <li>{@code java bench/JobsLoad.java retain API_URL N CONCURRENCY}: submits N jobs ({@code POST /jobs}, random
 * seeds) with at most CONCURRENCY submissions in flight, waits until each has ended, and prints
 * {@code retained <submitted> <succeeded> <other outcomes as type=count...>}.</li>
 * </ul>
 *
 * Every wait is bounded ({@code BENCH_WAIT_SECONDS}, default 120); on a timeout it prints what it has and exits 1.
 */
public final class JobsLoad {

	private static final Pattern STATUS = Pattern.compile("\"status\":\"([a-z]+)\"");

	private static final Pattern ID = Pattern.compile("\"id\":\"([^\"]+)\"");

	private static final Pattern TYPE = Pattern.compile("\"type\":\"[^\"]*?([a-z-]+)\"");

	private static final Duration WAIT = Duration
		.ofSeconds(Long.parseLong(System.getenv().getOrDefault("BENCH_WAIT_SECONDS", "120")));

	private final HttpClient http = HttpClient.newBuilder()
		.version(HttpClient.Version.HTTP_1_1)
		.connectTimeout(Duration.ofSeconds(5))
		.build();

	public static void main(String[] args) throws Exception {
		if (args.length < 3) {
			System.err.println("usage: JobsLoad subscribe JOB_URL N | retain API_URL N CONCURRENCY");
			System.exit(2);
		}
		loopbackOnly(args[1]);
		JobsLoad load = new JobsLoad();
		boolean complete = switch (args[0]) {
			case "subscribe" -> load.subscribe(args[1], Integer.parseInt(args[2]));
			case "retain" -> load.retain(args[1], Integer.parseInt(args[2]), Integer.parseInt(args[3]));
			default -> throw new IllegalArgumentException("unknown mode " + args[0]);
		};
		System.exit(complete ? 0 : 1);
	}

	private static void loopbackOnly(String url) {
		String host = URI.create(url).getHost();
		if (!(host.equals("127.0.0.1") || host.equals("localhost") || host.equals("[::1]"))) {
			throw new IllegalArgumentException("refusing a non-loopback target: " + url);
		}
	}

	private boolean subscribe(String jobUrl, int n) throws InterruptedException {
		AtomicInteger connected = new AtomicInteger();
		AtomicInteger terminal = new AtomicInteger();
		AtomicInteger comments = new AtomicInteger();
		AtomicLong firstTerminal = new AtomicLong(Long.MAX_VALUE);
		AtomicLong lastTerminal = new AtomicLong();
		List<CompletableFuture<?>> streams = new ArrayList<>();
		HttpRequest request = HttpRequest.newBuilder(URI.create(jobUrl + "/events"))
			.header("Accept", "text/event-stream")
			.timeout(WAIT.plusSeconds(60))
			.build();
		for (int i = 0; i < n; i++) {
			boolean[] first = { true };
			streams.add(this.http.sendAsync(request, HttpResponse.BodyHandlers.ofLines()).thenAccept((response) -> {
				if (response.statusCode() != 200) {
					throw new IllegalStateException("event stream answered " + response.statusCode());
				}
				response.body().forEach((line) -> {
					if (line.startsWith(":")) {
						comments.incrementAndGet();
					}
					else if (line.startsWith("data:")) {
						if (first[0]) {
							first[0] = false;
							connected.incrementAndGet();
						}
						Matcher status = STATUS.matcher(line);
						if (status.find() && !status.group(1).equals("queued") && !status.group(1).equals("running")) {
							long now = System.nanoTime();
							terminal.incrementAndGet();
							firstTerminal.accumulateAndGet(now, Math::min);
							lastTerminal.accumulateAndGet(now, Math::max);
						}
					}
				});
			}));
		}
		long deadline = System.nanoTime() + WAIT.toNanos();
		while (connected.get() < n && System.nanoTime() < deadline) {
			TimeUnit.MILLISECONDS.sleep(50);
		}
		System.out.println("connected " + connected.get());
		if (connected.get() < n) {
			return false;
		}
		CompletableFuture<Void> all = CompletableFuture.allOf(streams.toArray(CompletableFuture[]::new));
		try {
			all.get(Math.max(1, deadline - System.nanoTime()) + WAIT.toNanos(), TimeUnit.NANOSECONDS);
		}
		catch (Exception ex) {
			System.out.println("streams did not all end: " + ex);
		}
		long spreadMs = terminal.get() == 0 ? -1 : (lastTerminal.get() - firstTerminal.get()) / 1_000_000;
		System.out.println("ended " + streams.stream().filter((s) -> s.isDone() && !s.isCompletedExceptionally()).count()
				+ " " + terminal.get() + " " + comments.get() + " " + spreadMs);
		return terminal.get() == n;
	}

	private boolean retain(String api, int n, int concurrency) throws InterruptedException {
		Semaphore inFlight = new Semaphore(concurrency);
		Map<String, String> ids = new ConcurrentHashMap<>();
		Map<String, AtomicInteger> refused = new ConcurrentHashMap<>();
		List<CompletableFuture<?>> submissions = new ArrayList<>();
		for (int i = 0; i < n; i++) {
			inFlight.acquire();
			HttpRequest post = HttpRequest.newBuilder(URI.create(api + "/jobs"))
				.header("Content-Type", "application/json")
				.timeout(Duration.ofSeconds(30))
				.POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"retained job " + i + "\"}"))
				.build();
			submissions.add(this.http.sendAsync(post, HttpResponse.BodyHandlers.ofString()).whenComplete((r, ex) -> {
				inFlight.release();
				if (ex != null) {
					refused.computeIfAbsent("io-error", (k) -> new AtomicInteger()).incrementAndGet();
				}
				else if (r.statusCode() == 202) {
					Matcher id = ID.matcher(r.body());
					if (id.find()) {
						ids.put(id.group(1), "queued");
					}
				}
				else {
					refused.computeIfAbsent("submit-" + type(r.body()), (k) -> new AtomicInteger()).incrementAndGet();
				}
			}));
		}
		CompletableFuture.allOf(submissions.toArray(CompletableFuture[]::new)).join();
		long deadline = System.nanoTime() + WAIT.toNanos();
		Map<String, AtomicInteger> outcomes = new TreeMap<>(refused);
		int succeeded = 0;
		for (String id : ids.keySet()) {
			String outcome = null;
			while (outcome == null && System.nanoTime() < deadline) {
				String body = get(api + "/jobs/" + id);
				Matcher status = STATUS.matcher(body);
				String state = status.find() ? status.group(1) : "unreadable";
				if (state.equals("queued") || state.equals("running")) {
					TimeUnit.MILLISECONDS.sleep(100);
				}
				else {
					// The only "type" in a job's JSON is its error's.
					outcome = state.equals("failed") ? "failed-" + type(body) : state;
				}
			}
			if (outcome == null) {
				outcome = "unfinished";
			}
			if (outcome.equals("succeeded")) {
				succeeded++;
			}
			else {
				outcomes.computeIfAbsent(outcome, (k) -> new AtomicInteger()).incrementAndGet();
			}
		}
		StringBuilder line = new StringBuilder("retained " + ids.size() + " " + succeeded);
		outcomes.forEach((outcome, count) -> line.append(' ').append(outcome).append('=').append(count));
		System.out.println(line);
		return succeeded == n;
	}

	private String get(String url) {
		try {
			return this.http
				.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
						HttpResponse.BodyHandlers.ofString())
				.body();
		}
		catch (IOException ex) {
			return "\"status\":\"io-error\"";
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return "\"status\":\"interrupted\"";
		}
	}

	private static String type(String body) {
		Matcher type = TYPE.matcher(body);
		return type.find() ? type.group(1) : "unknown";
	}

}

package dev.imagegen.api;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * A worker for tests that answers only when the test says so: each {@code POST /generate} waits until the test
 * answers its {@link Call}, and {@code GET /progress/{requestId}} (docs/worker-api.md) streams exactly the events
 * the test sends. Loopback, random port; {@link #stop()} it after the tests.
 */
public final class FakeWorker {

	private static final String END = "\u0000end";

	private final HttpServer server;

	private final ExecutorService threads = Executors.newCachedThreadPool((task) -> {
		Thread thread = new Thread(task, "fake-worker");
		thread.setDaemon(true);
		return thread;
	});

	private final BlockingQueue<Call> arrived = new LinkedBlockingQueue<>();

	private final List<Call> calls = new CopyOnWriteArrayList<>();

	private final Map<String, CompletableFuture<Call>> byRequestId = new ConcurrentHashMap<>();

	private final AtomicInteger progressRequests = new AtomicInteger();

	private volatile boolean progressAvailable = true;

	private FakeWorker() {
		try {
			this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
		}
		catch (IOException ex) {
			throw new UncheckedIOException(ex);
		}
		this.server.setExecutor(this.threads);
		this.server.createContext("/generate", this::generate);
		this.server.createContext("/progress/", this::progress);
		this.server.createContext("/health", (exchange) -> respond(exchange, 200, "application/json",
				"{\"status\":\"UP\",\"sessions\":[],\"queue\":{\"depth\":0,\"capacity\":4}}".getBytes(StandardCharsets.UTF_8)));
	}

	/**
	 * Starts a fake worker.
	 * @return the started worker
	 */
	public static FakeWorker start() {
		FakeWorker worker = new FakeWorker();
		worker.server.start();
		return worker;
	}

	/** Stops the server and releases every waiting handler. */
	public void stop() {
		this.calls.forEach((call) -> call.answer.complete(Answer.problem(503, "shutting-down")));
		this.calls.forEach(Call::endProgress);
		this.server.stop(0);
		this.threads.shutdownNow();
	}

	/**
	 * The worker's base URL.
	 * @return {@code http://127.0.0.1:<port>}
	 */
	public String baseUrl() {
		return "http://" + this.server.getAddress().getAddress().getHostAddress() + ":" + this.server.getAddress().getPort();
	}

	/**
	 * Whether {@code GET /progress/...} streams (true) or answers 404 at once (false).
	 * @param available the new setting
	 */
	public void progressAvailable(boolean available) {
		this.progressAvailable = available;
	}

	/**
	 * The next generation call that arrives (in arrival order), failing after 10 s.
	 * @return the call
	 */
	public Call nextCall() {
		try {
			Call call = this.arrived.poll(10, TimeUnit.SECONDS);
			if (call == null) {
				throw new AssertionError("no generation call reached the fake worker within 10 s");
			}
			return call;
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new AssertionError(ex);
		}
	}

	/**
	 * Every generation call received so far.
	 * @return the calls, in arrival order
	 */
	public List<Call> calls() {
		return List.copyOf(this.calls);
	}

	/**
	 * How many progress streams were asked for.
	 * @return the count
	 */
	public int progressRequests() {
		return this.progressRequests.get();
	}

	/** Forgets calls seen so far (answering any still open with a problem) and makes progress available. */
	public void reset() {
		this.calls.forEach((call) -> call.answer.complete(Answer.problem(503, "shutting-down")));
		this.calls.forEach(Call::endProgress);
		this.calls.clear();
		this.arrived.clear();
		this.byRequestId.clear();
		this.progressRequests.set(0);
		this.progressAvailable = true;
	}

	private void generate(HttpExchange exchange) throws IOException {
		byte[] body = exchange.getRequestBody().readAllBytes();
		String requestId = exchange.getRequestHeaders().getFirst("X-Request-Id");
		Call call = new Call(requestId, new String(body, StandardCharsets.UTF_8));
		this.calls.add(call);
		this.byRequestId.computeIfAbsent(requestId, (id) -> new CompletableFuture<>()).complete(call);
		this.arrived.add(call);
		Answer answer = call.answer.join();
		exchange.getResponseHeaders().set("X-Seed", Long.toString(answer.seed));
		if (answer.retryAfter != null) {
			exchange.getResponseHeaders().set("Retry-After", answer.retryAfter);
		}
		try {
			respond(exchange, answer.status, answer.contentType, answer.body);
		}
		catch (IOException ex) {
			// The API went away (the job was cancelled): nothing to deliver to.
		}
	}

	private void progress(HttpExchange exchange) throws IOException {
		this.progressRequests.incrementAndGet();
		String requestId = exchange.getRequestURI().getPath().substring("/progress/".length());
		Call call = null;
		if (this.progressAvailable) {
			try {
				// As the real worker: the stream may be asked for a moment before the POST arrives.
				call = this.byRequestId.computeIfAbsent(requestId, (id) -> new CompletableFuture<>()).get(5, TimeUnit.SECONDS);
			}
			catch (Exception ex) {
				call = null;
			}
		}
		if (call == null) {
			respond(exchange, 404, "application/problem+json",
					"{\"type\":\"https://imagegen.dev/problems/unknown-request\",\"title\":\"Unknown request\",\"status\":404}"
						.getBytes(StandardCharsets.UTF_8));
			return;
		}
		exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
		exchange.sendResponseHeaders(200, 0);
		try (OutputStream out = exchange.getResponseBody()) {
			for (;;) {
				String event = call.events.take();
				if (event.equals(END)) {
					break;
				}
				out.write(("event: progress\ndata: " + event + "\n\n").getBytes(StandardCharsets.UTF_8));
				out.flush();
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		catch (IOException ex) {
			// The API closed the stream: fine, progress is advisory.
		}
	}

	private static void respond(HttpExchange exchange, int status, String contentType, byte[] body) throws IOException {
		exchange.getResponseHeaders().set("Content-Type", contentType);
		exchange.sendResponseHeaders(status, (body.length == 0) ? -1 : body.length);
		try (OutputStream out = exchange.getResponseBody()) {
			out.write(body);
		}
	}

	/** One {@code POST /generate} the worker holds until the test answers it. */
	public static final class Call {

		private final String requestId;

		private final String body;

		private final CompletableFuture<Answer> answer = new CompletableFuture<>();

		private final BlockingQueue<String> events = new LinkedBlockingQueue<>();

		Call(String requestId, String body) {
			this.requestId = requestId;
			this.body = body;
		}

		/** @return the call's {@code X-Request-Id} */
		public String requestId() {
			return this.requestId;
		}

		/** @return the JSON body the API sent */
		public String body() {
			return this.body;
		}

		/**
		 * Sends one progress event on the call's stream.
		 * @param phase the phase
		 * @param queuePosition the worker queue position, or {@code null}
		 * @param upstreamQueuePosition the upstream queue position, or {@code null}
		 */
		public void progress(String phase, Integer queuePosition, Integer upstreamQueuePosition) {
			this.events.add("{\"requestId\":\"" + this.requestId + "\",\"phase\":\"" + phase + "\",\"queuePosition\":"
					+ queuePosition + ",\"upstreamQueuePosition\":" + upstreamQueuePosition + "}");
		}

		/** Ends the progress stream. */
		public void endProgress() {
			this.events.add(END);
		}

		/**
		 * Answers the POST with the test PNG.
		 * @param seed the seed reported in {@code X-Seed}
		 */
		public void answerImage(long seed) {
			this.answer.complete(new Answer(200, "image/png", ImageFixtures.png(), seed, null));
		}

		/**
		 * Answers the POST with a worker problem.
		 * @param status the HTTP status
		 * @param type the last segment of the problem type
		 * @param retryAfter the {@code Retry-After} value, or {@code null}
		 */
		public void answerProblem(int status, String type, String retryAfter) {
			this.answer.complete(Answer.problem(status, type).withRetryAfter(retryAfter));
		}

	}

	private record Answer(int status, String contentType, byte[] body, long seed, String retryAfter) {

		static Answer problem(int status, String type) {
			return new Answer(status, "application/problem+json",
					("{\"type\":\"https://imagegen.dev/problems/" + type + "\",\"title\":\"Worker says " + type
							+ "\",\"status\":" + status + ",\"detail\":\"The fake worker answered " + type + ".\"}")
						.getBytes(StandardCharsets.UTF_8),
					0, null);
		}

		Answer withRetryAfter(String value) {
			return new Answer(this.status, this.contentType, this.body, this.seed, value);
		}

	}

}

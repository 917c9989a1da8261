package dev.imagegen.api.worker;

import java.net.ConnectException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

import dev.imagegen.api.cache.StoredImage;
import dev.imagegen.api.config.ApiProperties;
import dev.imagegen.api.problem.ApiProblem;
import dev.imagegen.api.problem.ProblemTypes;
import dev.imagegen.api.redis.RedisModeEnvironment;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.NettyDataBufferFactory;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.BodyExtractors;
import org.springframework.web.reactive.function.client.ClientResponse;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.client.WebClientRequestException;

/**
 * Sends generations to the configured workers through one pooled {@link WebClient}: each request goes
 * to the worker with the fewest requests in flight; a worker that refuses a connection is skipped for
 * a few seconds and the request (which no worker accepted) is tried on the next one. A request a worker
 * may have started is never retried. Every answer is mapped to an image or an {@link ApiProblem}
 * ({@link WorkerAnswers}). The direct mode's dispatch: absent in the Redis mode, where {@link RedisDispatch} takes
 * its place and {@code PERCHANCE_WORKER_URL} is not needed.
 */
@Component
@ConditionalOnBooleanProperty(name = RedisModeEnvironment.ENABLED, havingValue = false, matchIfMissing = true)
public class WorkerPool implements WorkerDispatch, DisposableBean {

	private static final Logger logger = LoggerFactory.getLogger(WorkerPool.class);

	/** Images are 100 KB to 1 MB; leave room without letting a broken worker exhaust memory. */
	static final int MAX_IMAGE_BYTES = 16 * 1024 * 1024;

	private static final byte[] EMPTY = new byte[0];

	/** How long a caller waits before trying again when direct memory was short (it frees as answers are sent). */
	private static final Duration NO_MEMORY_RETRY_AFTER = Duration.ofSeconds(5);

	/** The worker's progress events (docs/worker-api.md, {@code GET /progress/{requestId}}). */
	private static final ParameterizedTypeReference<ServerSentEvent<String>> EVENTS = new ParameterizedTypeReference<>() {
	};

	/** The caller's remaining budget, in milliseconds, that the worker must answer within. */
	static final String DEADLINE_HEADER = "X-Deadline-Ms";

	/** What the worker's answer needs to travel back and be checked before the API's own timeout. */
	static final Duration DEADLINE_MARGIN = Duration.ofSeconds(2);

	private final ApiProperties.Worker settings;

	private final List<WorkerEndpoint> endpoints;

	private final ConnectionProvider connections;

	private final WebClient webClient;

	private final JsonMapper jsonMapper;

	private final WorkerAnswers answers;

	private final MeterRegistry meters;

	private final Meter.MeterProvider<Timer> callTimers;

	private final AtomicInteger rotation = new AtomicInteger();

	/**
	 * Creates the pool on a plain {@link WebClient.Builder} (no Boot observations), for tests.
	 * @param properties the API settings
	 * @param jsonMapper the JSON mapper used for worker bodies
	 * @param meters where the in-flight gauges and call timers are registered
	 */
	public WorkerPool(ApiProperties properties, JsonMapper jsonMapper, MeterRegistry meters) {
		this(properties, jsonMapper, meters, WebClient.builder());
	}

	/**
	 * Creates the pool on Boot's {@link WebClient.Builder}, which brings the {@code http.client.requests}
	 * observation (metrics, and trace propagation when tracing is on) to every worker call.
	 * @param properties the API settings
	 * @param jsonMapper the JSON mapper used for worker bodies
	 * @param meters where the in-flight gauges and call timers are registered
	 * @param webClientBuilder Boot's builder; cloned, never changed
	 */
	@Autowired
	public WorkerPool(ApiProperties properties, JsonMapper jsonMapper, MeterRegistry meters,
			WebClient.Builder webClientBuilder) {
		this.settings = properties.worker();
		this.jsonMapper = jsonMapper;
		this.answers = new WorkerAnswers(jsonMapper, this.settings.retryAfter());
		this.meters = meters;
		this.callTimers = Timer.builder("imagegen.worker.requests")
			.description("Generation calls from the API to a worker")
			.withRegistry(meters);
		this.endpoints = this.settings.endpoints().stream().map(WorkerEndpoint::new).toList();
		this.connections = ConnectionProvider.builder("imagegen-worker")
			.maxConnections(this.settings.maxConnections())
			.pendingAcquireMaxCount(-1)
			.maxIdleTime(Duration.ofSeconds(30))
			.evictInBackground(Duration.ofSeconds(30))
			.build();
		// No response timeout here: WORKER_TIMEOUT is one limit, the Mono.timeout in call(), which bounds the
		// whole attempt (pool wait, connect, request, body) where a response timeout would bound only the waits
		// between reads.
		HttpClient httpClient = HttpClient.create(this.connections)
			.option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, this.settings.connectTimeout().toMillis()));
		this.webClient = webClientBuilder.clone()
			.clientConnector(new ReactorClientHttpConnector(httpClient))
			.codecs((codecs) -> codecs.defaultCodecs().maxInMemorySize(MAX_IMAGE_BYTES))
			.build();
		for (WorkerEndpoint endpoint : this.endpoints) {
			Gauge.builder("imagegen.worker.inflight", endpoint, WorkerEndpoint::inFlight)
				.description("Generations this API has in flight on the worker")
				.tag("worker", endpoint.publicUrl())
				.register(meters);
		}
	}

	/**
	 * Whether {@code PERCHANCE_WORKER_URL} names at least one worker.
	 * @return {@code true} if generations can be forwarded
	 */
	@Override
	public boolean configured() {
		return !this.endpoints.isEmpty();
	}

	/**
	 * The configured workers, in configuration order.
	 * @return the endpoints
	 */
	public List<WorkerEndpoint> endpoints() {
		return this.endpoints;
	}

	/**
	 * The pooled client, shared with the health checks.
	 * @return the web client
	 */
	public WebClient webClient() {
		return this.webClient;
	}

	/**
	 * Generates one image on a worker.
	 * @param request the worker request (with a concrete seed)
	 * @param expected the media type the caller asked for
	 * @param requestId the request id, passed on as {@code X-Request-Id}
	 * @param onWorker told the URL of each worker the request is sent to
	 * @return the checked image, or an {@link ApiProblem} error
	 */
	public Mono<WorkerImage> generate(WorkerRequest request, MediaType expected, String requestId,
			Consumer<String> onWorker) {
		return generate(request, expected, requestId, onWorker, null);
	}

	/**
	 * Generates one image on a worker and, when a listener is given, follows the worker's progress for it
	 * ({@code GET /progress/{requestId}} on the chosen worker, opened alongside the POST and closed with it).
	 * @param request the worker request (with a concrete seed)
	 * @param expected the media type the caller asked for
	 * @param requestId the request id, passed on as {@code X-Request-Id}; also names the progress stream
	 * @param onWorker told the URL of each worker the request is sent to
	 * @param progress told each progress event, or {@code null} to open no stream (synchronous callers)
	 * @return the checked image, or an {@link ApiProblem} error
	 */
	@Override
	public Mono<WorkerImage> generate(WorkerRequest request, MediaType expected, String requestId,
			Consumer<String> onWorker, ProgressListener progress) {
		if (!configured()) {
			return Mono.error(notConfigured());
		}
		byte[] body = this.jsonMapper.writeValueAsBytes(request);
		return Mono.defer(() -> attempt(new HashSet<>(), body, expected, requestId, onWorker, progress));
	}

	/**
	 * {@inheritDoc} In the direct mode identical requests share one generation within this replica only (the
	 * generator's {@code SingleFlight}), so the fingerprint is not needed here.
	 */
	@Override
	public Mono<WorkerImage> generate(WorkerRequest request, MediaType expected, String requestId,
			Consumer<String> onWorker, ProgressListener progress, String fingerprint) {
		return generate(request, expected, requestId, onWorker, progress);
	}

	/**
	 * The problem for "no worker configured".
	 * @return a 503 {@code worker-not-configured} problem that says what to set
	 */
	@Override
	public ApiProblem notConfigured() {
		return ApiProblem
			.of(ProblemTypes.WORKER_NOT_CONFIGURED, 503, "No worker configured",
					"This API has no worker to send generations to. Set the environment variable "
							+ "PERCHANCE_WORKER_URL to the worker's base URL (e.g. http://worker:8081) and restart.")
			.withRetryAfter(Duration.ofSeconds(60));
	}

	private Mono<WorkerImage> attempt(Set<WorkerEndpoint> tried, byte[] body, MediaType expected, String requestId,
			Consumer<String> onWorker, ProgressListener progress) {
		WorkerEndpoint endpoint = choose(tried);
		if (endpoint == null) {
			return Mono.error(ApiProblem
				.of(ProblemTypes.WORKER_UNAVAILABLE, 503, "Worker unavailable",
						"No worker accepted a connection (" + tried.size() + " tried); try again shortly.")
				.withRetryAfter(this.settings.retryAfter()));
		}
		tried.add(endpoint);
		onWorker.accept(endpoint.publicUrl());
		return followed(endpoint, call(endpoint, body, expected, requestId), requestId, progress)
			.onErrorResume(WorkerPool::notAccepted, (ex) -> {
			endpoint.markUnreachable(this.settings.unreachableBackoff());
			logger.warn("Worker {} refused the connection for request {} ({}); skipping it for {}", endpoint.url(),
					requestId, rootMessage(ex), this.settings.unreachableBackoff());
			return attempt(tried, body, expected, requestId, onWorker, progress);
		});
	}

	/**
	 * The call, with the worker's progress stream open while it runs. The stream is a second, independent
	 * request: whatever becomes of it (404, refused, cut) is swallowed, and it is closed when the call ends or is
	 * cancelled, so it never outlives the generation it reports on.
	 */
	private Mono<WorkerImage> followed(WorkerEndpoint endpoint, Mono<WorkerImage> call, String requestId,
			ProgressListener progress) {
		if (progress == null) {
			return call;
		}
		return Mono.defer(() -> {
			Disposable stream = progress(endpoint, requestId).subscribe(progress::onProgress);
			return call.doFinally((signal) -> stream.dispose());
		});
	}

	/** The events of {@code GET /progress/{requestId}} (docs/worker-api.md), parsed; empty on any failure. */
	Flux<WorkerProgress> progress(WorkerEndpoint endpoint, String requestId) {
		return this.webClient.get()
			.uri(endpoint.url() + "/progress/{id}", requestId)
			.accept(MediaType.TEXT_EVENT_STREAM)
			.headers((headers) -> {
				if (!this.settings.token().isEmpty()) {
					headers.setBearerAuth(this.settings.token());
				}
				headers.set("X-Request-Id", requestId);
			})
			.retrieve()
			.bodyToFlux(EVENTS)
			.filter((event) -> "progress".equals(event.event()) && event.data() != null)
			.concatMap((event) -> Mono.justOrEmpty(parseProgress(event.data())))
			.onErrorResume((ex) -> {
				logger.debug("Progress stream of request {} on {} ended: {}", requestId, endpoint.publicUrl(),
						rootMessage(ex));
				return Flux.empty();
			});
	}

	private WorkerProgress parseProgress(String data) {
		try {
			return WorkerAnswers.progress(this.jsonMapper.readTree(data));
		}
		catch (JacksonException ex) {
			// An unreadable event is skipped: progress is advisory.
			return null;
		}
	}

	/** Least in-flight first, workers in their skip period last; ties rotate so that load spreads. */
	WorkerEndpoint choose(Set<WorkerEndpoint> tried) {
		long now = System.nanoTime();
		int size = this.endpoints.size();
		int offset = this.rotation.getAndIncrement();
		WorkerEndpoint best = null;
		boolean bestSkipped = true;
		for (int i = 0; i < size; i++) {
			WorkerEndpoint candidate = this.endpoints.get(Math.floorMod(offset + i, size));
			if (tried.contains(candidate)) {
				continue;
			}
			boolean skipped = candidate.skipped(now);
			if (best == null || (bestSkipped && !skipped)
					|| (skipped == bestSkipped && candidate.inFlight() < best.inFlight())) {
				best = candidate;
				bestSkipped = skipped;
			}
		}
		return best;
	}

	private Mono<WorkerImage> call(WorkerEndpoint endpoint, byte[] body, MediaType expected, String requestId) {
		return Mono.defer(() -> {
			endpoint.acquire();
			Timer.Sample sample = Timer.start(this.meters);
			return this.webClient.post()
				.uri(endpoint.generateUri())
				.contentType(MediaType.APPLICATION_JSON)
				.accept(MediaType.IMAGE_PNG, MediaType.IMAGE_JPEG, MediaType.APPLICATION_PROBLEM_JSON)
				.headers((headers) -> {
					if (!this.settings.token().isEmpty()) {
						headers.setBearerAuth(this.settings.token());
					}
					headers.set("X-Request-Id", requestId);
					// The worker gives up (504 deadline-exceeded) before this call times out, so the caller gets the
					// worker's precise problem rather than the API's generic timeout (docs/worker-api.md).
					headers.set(DEADLINE_HEADER, Long.toString(deadlineMillis(this.settings.timeout())));
				})
				.bodyValue(body)
				.exchangeToMono((response) -> read(endpoint, response, expected))
				// Per attempt: a refused connection fails within the connect timeout, so retries on other
				// workers add at most a few seconds to WORKER_TIMEOUT.
				.timeout(this.settings.timeout())
				.onErrorMap((ex) -> !(ex instanceof ApiProblem) && !notAccepted(ex), WorkerPool::failed)
				.doOnEach((signal) -> {
					if (signal.isOnComplete() || signal.isOnError()) {
						sample.stop(callTimer(endpoint, signal.isOnError() ? outcomeOf(signal.getThrowable()) : "success"));
					}
				})
				.doOnCancel(() -> sample.stop(callTimer(endpoint, "cancelled")))
				.doFinally((signal) -> endpoint.release());
		});
	}

	private Timer callTimer(WorkerEndpoint endpoint, String outcome) {
		return this.callTimers.withTags("worker", endpoint.publicUrl(), "outcome", outcome);
	}

	private static String outcomeOf(Throwable failure) {
		if (failure instanceof ApiProblem problem) {
			return ProblemTypes.shortName(problem.type());
		}
		return notAccepted(failure) ? "refused" : "error";
	}

	private Mono<WorkerImage> read(WorkerEndpoint endpoint, ClientResponse response, MediaType expected) {
		int status = response.statusCode().value();
		MediaType declared = response.headers().contentType().orElse(null);
		if (status == 401 || status == 403) {
			return response.releaseBody().then(Mono.error(WorkerAnswers.authFailed(status)));
		}
		HttpHeaders headers = response.headers().asHttpHeaders();
		if (status == 200) {
			return DataBufferUtils.join(response.body(BodyExtractors.toDataBuffers()), MAX_IMAGE_BYTES)
				.map(WorkerPool::directCopy)
				.defaultIfEmpty(Unpooled.EMPTY_BUFFER)
				.map((content) -> this.answers.image(declared, content, headers.getFirst("X-Seed"), endpoint.url(),
						expected));
		}
		return response.bodyToMono(byte[].class)
			.defaultIfEmpty(EMPTY)
			.flatMap((bytes) -> Mono.error(
					this.answers.failure(status, declared, bytes, headers.getFirst(HttpHeaders.RETRY_AFTER))));
	}

	/**
	 * The image's bytes, which arrived in Netty's pooled buffers, copied once into the one direct buffer the image
	 * keeps from now on (as the cache's entry and as every answer's body: see {@code StoredImage}), instead of into a
	 * heap array that the cache then copies again. Direct memory that is exhausted is the API's fault, not the
	 * worker's: a 503 to try again shortly.
	 */
	private static ByteBuf directCopy(DataBuffer joined) {
		try {
			int size = joined.readableByteCount();
			ByteBuf copy;
			try {
				copy = StoredImage.directBuffer(size);
			}
			catch (OutOfMemoryError ex) {
				throw ApiProblem.of(ProblemTypes.INTERNAL_ERROR, 503, "No memory for the image",
						"The API has no direct memory left to read the worker's image; try again shortly.")
					.withRetryAfter(NO_MEMORY_RETRY_AFTER);
			}
			ByteBuf source = NettyDataBufferFactory.toByteBuf(joined);
			copy.writeBytes(source, source.readerIndex(), size);
			return copy;
		}
		finally {
			DataBufferUtils.release(joined);
		}
	}

	/** A connection no worker accepted: the request was never sent, so another worker may take it. */
	static boolean notAccepted(Throwable failure) {
		if (!(failure instanceof WebClientRequestException)) {
			return false;
		}
		for (Throwable cause = failure.getCause(); cause != null; cause = cause.getCause()) {
			if (cause instanceof ConnectException || cause instanceof UnknownHostException) {
				return true;
			}
		}
		return false;
	}

	private static ApiProblem failed(Throwable failure) {
		for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
			if (cause instanceof TimeoutException) {
				return timedOut();
			}
			if (cause instanceof DataBufferLimitException) {
				return badResponse("The worker's answer is larger than " + (MAX_IMAGE_BYTES / (1024 * 1024)) + " MB.");
			}
		}
		// The cause (exception class, socket text) is for the operator's log, under the request id; the caller
		// learns what happened, not how the API's internals named it.
		logger.warn("Worker call failed: {}", rootMessage(failure));
		return badResponse("The connection to the worker failed during the request; the API log has the cause "
				+ "under this request's id.");
	}

	private static ApiProblem timedOut() {
		return ApiProblem.of(ProblemTypes.WORKER_TIMEOUT, 504, "Worker timeout",
				"The worker did not answer within the API's WORKER_TIMEOUT.");
	}

	private static ApiProblem badResponse(String detail) {
		return WorkerAnswers.badResponse(detail);
	}

	/** The budget sent to the worker: this call's timeout less the margin, never below one second. */
	static long deadlineMillis(Duration timeout) {
		return Math.max(1000, timeout.minus(DEADLINE_MARGIN).toMillis());
	}

	private static String rootMessage(Throwable failure) {
		Throwable root = failure;
		while (root.getCause() != null && root.getCause() != root) {
			root = root.getCause();
		}
		return root.getClass().getSimpleName() + ((root.getMessage() != null) ? ": " + root.getMessage() : "");
	}

	@Override
	public void destroy() {
		this.connections.dispose();
	}

}

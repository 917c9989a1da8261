package dev.imagegen.worker.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Everything the worker can be configured with. The environment variables of the contract are mapped onto
 * these properties in {@code application.yml}; a malformed value stops start-up with a message that names
 * the variable (see {@link PropertyFailureAnalyzer}).
 *
 * @param token shared secret that callers must send as {@code Authorization: Bearer <token>} on
 * {@code /generate} ({@code WORKER_TOKEN}); empty means the worker is open (a WARN is logged at start-up)
 * @param metricsToken bearer token that {@code /actuator/prometheus} requires on the main port
 * ({@code METRICS_TOKEN}); empty hides it there unless a management port is set
 * @param http limits of client connections
 * @param perchance where Perchance lives and how long its steps may take
 * @param browser the browser sessions that talk to Perchance
 * @param jobs the job queue and deadlines
 * @param retry retry and backoff budgets for upstream calls
 * @param breaker the per-session circuit breaker
 */
@Validated
@ConfigurationProperties("imagegen.worker")
public record WorkerProperties(String token, String metricsToken, @Valid @NotNull @DefaultValue Http http,
		@Valid @NotNull @DefaultValue Perchance perchance,
		@Valid @NotNull @DefaultValue Browser browser, @Valid @NotNull @DefaultValue Jobs jobs,
		@Valid @NotNull @DefaultValue Retry retry, @Valid @NotNull @DefaultValue Breaker breaker) {

	/**
	 * Normalises the token (blank means none).
	 */
	public WorkerProperties {
		token = (token == null || token.isBlank()) ? null : token.trim();
		metricsToken = (metricsToken == null || metricsToken.isBlank()) ? null : metricsToken.trim();
	}

	/**
	 * Limits of client connections (applied to Tomcat in {@code application.yml}).
	 *
	 * @param headerTimeout a connection that has not sent a complete request head within this is closed
	 * ({@code HEADER_TIMEOUT})
	 * @param idleTimeout an idle keep-alive connection is closed after this ({@code IDLE_TIMEOUT})
	 */
	public record Http(@NotNull @DefaultValue("10s") Duration headerTimeout,
			@NotNull @DefaultValue("60s") Duration idleTimeout) {

		/**
		 * Checks the durations, naming the variable at fault.
		 */
		public Http {
			positive(headerTimeout, "HEADER_TIMEOUT (imagegen.worker.http.header-timeout)");
			positive(idleTimeout, "IDLE_TIMEOUT (imagegen.worker.http.idle-timeout)");
		}

	}

	/**
	 * Perchance's origins and per-step timeouts.
	 *
	 * @param baseUrl origin of the image API and of the {@code /embed} page ({@code PERCHANCE_BASE_URL})
	 * @param siteUrl origin of the generator pages and of the ad-code endpoint ({@code PERCHANCE_SITE_URL})
	 * @param sitePagePath page visited on the site before the first key, to look like a normal visitor
	 * @param stepTimeout upper bound of one upstream HTTP step; a step never outlives its job's deadline either
	 * @param turnstileTimeout how long to wait for the Turnstile widget to produce a token
	 * @param turnstilePollInterval how often to look at the hidden Turnstile input
	 * @param channel the {@code channel} field of the generate body
	 * @param subChannel the {@code subChannel} field of the generate body
	 */
	public record Perchance(@NotNull @DefaultValue("https://image-generation.perchance.org") URI baseUrl,
			@NotNull @DefaultValue("https://perchance.org") URI siteUrl,
			@NotNull @DefaultValue("/ai-text-to-image-generator") String sitePagePath,
			@NotNull @DefaultValue("100s") Duration stepTimeout, @NotNull @DefaultValue("60s") Duration turnstileTimeout,
			@NotNull @DefaultValue("1s") Duration turnstilePollInterval,
			@NotNull @DefaultValue("ai-text-to-image-generator") String channel,
			@NotNull @DefaultValue("public") String subChannel) {

		/**
		 * Checks the URLs and durations, naming the variable at fault.
		 */
		public Perchance {
			baseUrl = origin(baseUrl, "PERCHANCE_BASE_URL (imagegen.worker.perchance.base-url)");
			siteUrl = origin(siteUrl, "PERCHANCE_SITE_URL (imagegen.worker.perchance.site-url)");
			positive(stepTimeout, "imagegen.worker.perchance.step-timeout");
			positive(turnstileTimeout, "imagegen.worker.perchance.turnstile-timeout");
			positive(turnstilePollInterval, "imagegen.worker.perchance.turnstile-poll-interval");
		}

		/**
		 * The base URL without a trailing slash.
		 * @return e.g. {@code https://image-generation.perchance.org}
		 */
		public String base() {
			return strip(this.baseUrl);
		}

		/**
		 * The site URL without a trailing slash.
		 * @return e.g. {@code https://perchance.org}
		 */
		public String site() {
			return strip(this.siteUrl);
		}

		private static String strip(URI uri) {
			String s = uri.toString();
			return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
		}

	}

	/**
	 * The browser sessions.
	 *
	 * @param engine {@code firefox}, {@code chromium} or {@code webkit} ({@code BROWSER_ENGINE})
	 * @param executablePath browser binary to launch instead of Playwright's own ({@code BROWSER_EXECUTABLE_PATH})
	 * @param headless run without a display ({@code BROWSER_HEADLESS})
	 * @param profileDir parent of the persistent profiles {@code session-<n>} ({@code BROWSER_PROFILE_DIR}, default
	 * {@code ${java.io.tmpdir}/imagegen-worker-profiles-<port>}, so two workers on one host never share one)
	 * @param sessions number of browser sessions, each with its own profile and key ({@code WORKER_SESSIONS})
	 * @param args extra launch arguments ({@code BROWSER_ARGS}, comma separated)
	 * @param proxies optional HTTP proxy per session, by index ({@code BROWSER_PROXIES}, comma separated;
	 * an empty entry means no proxy for that session)
	 * @param relaunchBackoffMin first wait before relaunching a crashed or failed session
	 * @param relaunchBackoffMax longest wait between relaunch attempts
	 * @param recycleAfter generations after which a session relaunches its browser between two jobs, so that
	 * memory the browser accumulates over thousands of generations is given back; 0 never recycles
	 */
	public record Browser(@NotNull @DefaultValue("firefox") Engine engine, String executablePath,
			@DefaultValue("true") boolean headless, Path profileDir,
			@Min(1) @Max(64) @DefaultValue("1") int sessions, @NotNull @DefaultValue List<String> args,
			@NotNull @DefaultValue List<String> proxies, @NotNull @DefaultValue("1s") Duration relaunchBackoffMin,
			@NotNull @DefaultValue("60s") Duration relaunchBackoffMax, @Min(0) @DefaultValue("500") int recycleAfter) {

		/**
		 * Checks the durations and the session count, naming the variable at fault.
		 */
		public Browser {
			positive(relaunchBackoffMin, "imagegen.worker.browser.relaunch-backoff-min");
			positive(relaunchBackoffMax, "imagegen.worker.browser.relaunch-backoff-max");
			executablePath = (executablePath == null || executablePath.isBlank()) ? null : executablePath.trim();
			if (profileDir == null) {
				// Only without application.yml (which adds the port): the process id keeps two workers apart.
				profileDir = Path.of(System.getProperty("java.io.tmpdir"),
						"imagegen-worker-profiles-pid" + ProcessHandle.current().pid());
			}
			args = args.stream().map(String::trim).filter((a) -> !a.isEmpty()).toList();
			proxies = List.copyOf(proxies);
		}

		/**
		 * The browser binary to launch, when one is configured.
		 * @return the path, or null to let Playwright use its own browser
		 */
		public Path executable() {
			return (this.executablePath != null) ? Path.of(this.executablePath) : null;
		}

		/**
		 * The proxy of one session.
		 * @param index session index
		 * @return the proxy server URL, or null for a direct connection
		 */
		public String proxyFor(int index) {
			if (index >= this.proxies.size()) {
				return null;
			}
			String proxy = this.proxies.get(index).trim();
			return proxy.isEmpty() ? null : proxy;
		}

	}

	/** Browser engines Playwright can drive. */
	public enum Engine {

		/** Playwright's patched Firefox (the container image default). */
		FIREFOX,
		/** Chromium (used by the tests, with Debian's binary). */
		CHROMIUM,
		/** WebKit. */
		WEBKIT;

		/**
		 * Lower-case name as written in configuration.
		 * @return e.g. {@code firefox}
		 */
		public String id() {
			return name().toLowerCase(Locale.ROOT);
		}

	}

	/**
	 * The job queue.
	 *
	 * @param queueCapacity jobs that may wait for a session ({@code WORKER_QUEUE_CAPACITY})
	 * @param generationTimeout deadline of a job, counted from its arrival ({@code GENERATION_TIMEOUT})
	 * @param shutdownGrace how long running jobs may take to finish when the worker stops
	 * @param maxPromptLength longest prompt accepted, after trimming ({@code MAX_PROMPT_LENGTH}, as on the API)
	 */
	public record Jobs(@Min(1) @DefaultValue("16") int queueCapacity, @NotNull @DefaultValue("120s") Duration generationTimeout,
			@NotNull @DefaultValue("30s") Duration shutdownGrace, @Min(1) @DefaultValue("1000") int maxPromptLength) {

		/**
		 * Checks the values, naming the variable at fault.
		 */
		public Jobs {
			positive(generationTimeout, "GENERATION_TIMEOUT (imagegen.worker.jobs.generation-timeout)");
			if (shutdownGrace == null || shutdownGrace.isNegative()) {
				throw new IllegalArgumentException("imagegen.worker.jobs.shutdown-grace must not be negative");
			}
		}

	}

	/**
	 * Retry budgets of one job.
	 *
	 * @param initialBackoff first wait after a transient failure; doubles per attempt
	 * @param maxBackoff longest wait between two attempts
	 * @param transientAttempts retries after transient statuses, 5xx, non-JSON or truncated bodies
	 * @param awaitAttempts re-POSTs after {@code waiting_for_prev_request_to_finish}
	 * @param downloadAttempts attempts of the signed download URL before the legacy one
	 * @param downloadBackoff wait between download attempts
	 */
	public record Retry(@NotNull @DefaultValue("2s") Duration initialBackoff, @NotNull @DefaultValue("10s") Duration maxBackoff,
			@Min(0) @DefaultValue("3") int transientAttempts, @Min(0) @DefaultValue("5") int awaitAttempts,
			@Min(1) @DefaultValue("3") int downloadAttempts, @NotNull @DefaultValue("2s") Duration downloadBackoff) {

		/**
		 * Checks the durations.
		 */
		public Retry {
			positive(initialBackoff, "imagegen.worker.retry.initial-backoff");
			positive(maxBackoff, "imagegen.worker.retry.max-backoff");
			if (downloadBackoff == null || downloadBackoff.isNegative()) {
				throw new IllegalArgumentException("imagegen.worker.retry.download-backoff must not be negative");
			}
		}

	}

	/**
	 * The per-session circuit breaker. Its open window follows the signal: the upstream's {@code Retry-After}
	 * when it sends one (capped at {@code openDuration}), else {@code firstOpenDuration}, doubling on each
	 * repeat up to {@code openDuration}; a success resets it.
	 *
	 * @param firstOpenDuration window after a first rate limit or challenge without {@code Retry-After}
	 * @param openDuration longest window a session refuses work for
	 */
	public record Breaker(@NotNull @DefaultValue("30s") Duration firstOpenDuration,
			@NotNull @DefaultValue("5m") Duration openDuration) {

		/**
		 * Checks the durations.
		 */
		public Breaker {
			positive(firstOpenDuration, "imagegen.worker.breaker.first-open-duration");
			positive(openDuration, "imagegen.worker.breaker.open-duration");
		}

	}

	private static void positive(Duration value, String name) {
		if (value == null || value.isNegative() || value.isZero()) {
			throw new IllegalArgumentException(name + " must be a positive duration, e.g. 120s, but was " + value);
		}
	}

	private static URI origin(URI uri, String name) {
		if (uri == null || !uri.isAbsolute() || uri.getHost() == null
				|| !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
			throw new IllegalArgumentException(name + " must be an absolute http(s) URL, but was '" + uri + "'");
		}
		return uri;
	}

}

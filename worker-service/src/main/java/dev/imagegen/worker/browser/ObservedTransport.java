package dev.imagegen.worker.browser;

import java.time.Duration;
import java.util.function.Supplier;

import dev.imagegen.worker.job.JobTrace;

/**
 * A {@link Transport} whose upstream calls are steps of the current job's trace: {@code key-verify}
 * ({@code verifyUser}), {@code upstream-generate}, {@code upstream-await}
 * ({@code awaitExistingGenerationRequest}) and {@code upstream-download} (the image, signed or legacy URL).
 * The step is chosen by the URL's path, never by its query (which holds the user key) or the body (the
 * prompt). Other calls (the ad access code, page loads) pass through unobserved.
 */
final class ObservedTransport implements Transport {

	private final Transport delegate;

	private final Supplier<JobTrace> trace;

	ObservedTransport(Transport delegate, Supplier<JobTrace> trace) {
		this.delegate = delegate;
		this.trace = trace;
	}

	@Override
	public UpstreamResponse send(String method, String url, String body, boolean binary, Duration timeout) {
		String step = step(url, binary);
		if (step == null) {
			return this.delegate.send(method, url, body, binary, timeout);
		}
		return this.trace.get().observe(step, () -> this.delegate.send(method, url, body, binary, timeout));
	}

	/** The generate call with its queue-position poll: traced like {@link #send}, and the poll passed on. */
	@Override
	public UpstreamResponse send(String method, String url, String body, boolean binary, Duration timeout,
			Poll poll) {
		String step = step(url, binary);
		if (step == null) {
			return this.delegate.send(method, url, body, binary, timeout, poll);
		}
		return this.trace.get().observe(step, () -> this.delegate.send(method, url, body, binary, timeout, poll));
	}

	static String step(String url, boolean binary) {
		if (binary) {
			return "upstream-download";
		}
		return switch (path(url)) {
			case "/api/verifyUser" -> "key-verify";
			case "/api/generate" -> "upstream-generate";
			case "/api/awaitExistingGenerationRequest" -> "upstream-await";
			default -> null;
		};
	}

	/** The path of an absolute URL, read without parsing the query (which need not be a valid URI). */
	static String path(String url) {
		int authority = url.indexOf("://");
		int start = url.indexOf('/', (authority >= 0) ? authority + 3 : 0);
		if (start < 0) {
			return "";
		}
		int end = url.length();
		for (char stop : new char[] { '?', '#' }) {
			int at = url.indexOf(stop, start);
			if (at >= 0 && at < end) {
				end = at;
			}
		}
		return url.substring(start, end);
	}

}

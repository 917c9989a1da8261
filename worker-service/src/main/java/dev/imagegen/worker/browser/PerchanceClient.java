package dev.imagegen.worker.browser;

import java.time.Duration;

import com.microsoft.playwright.Page;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.json.JsonMapper;

import dev.imagegen.worker.config.WorkerProperties;
import dev.imagegen.worker.job.GenerationSpec;
import dev.imagegen.worker.job.ProgressSink;
import dev.imagegen.worker.job.UpstreamImage;

/**
 * The Perchance protocol (docs/perchance-protocol.md) spoken from one page on the image-API origin, as one
 * session sees it: opening the pages, then the parts with one job each, all driven through one
 * {@link Transport} (in production an in-page {@code fetch}) — {@link KeyVerifier} (the user key, with a
 * {@link TurnstileWidget} when Perchance asks for a token),
 * {@link GenerateProtocol} (the generate status table and its retries) and {@link ImageDownload} (download and
 * image checks), sharing the rules of {@link UpstreamCalls}. Used by the one thread that owns the page.
 */
final class PerchanceClient {

	private static final Logger log = LoggerFactory.getLogger(PerchanceClient.class);

	private final Page page;

	private final WorkerProperties.Perchance perchance;

	private final UpstreamCalls calls;

	private final KeyVerifier keys;

	private final GenerateProtocol generation;

	private final String session;

	PerchanceClient(Page page, WorkerProperties properties, JsonMapper json, SessionMetrics metrics, Breaker breaker,
			String session) {
		this(page, new PageTransport(page), properties, json, metrics, breaker, session);
	}

	/**
	 * @param page the page for navigation and the Turnstile widget
	 * @param transport how upstream requests are sent
	 */
	PerchanceClient(Page page, Transport transport, WorkerProperties properties, JsonMapper json, SessionMetrics metrics,
			Breaker breaker, String session) {
		this(page, transport, new PageTurnstile(page, properties.perchance(), metrics), properties, json, metrics, breaker,
				session);
	}

	/**
	 * @param page the page for navigation (may be null where {@link #openPages()} is not used)
	 * @param transport how upstream requests are sent
	 * @param turnstile where a Turnstile token comes from when verifyUser asks for one
	 */
	PerchanceClient(Page page, Transport transport, TurnstileWidget turnstile, WorkerProperties properties,
			JsonMapper json, SessionMetrics metrics, Breaker breaker, String session) {
		this.page = page;
		this.perchance = properties.perchance();
		this.session = session;
		this.calls = new UpstreamCalls(transport, properties, json, metrics, breaker, session);
		this.keys = new KeyVerifier(turnstile, this.calls);
		this.generation = new GenerateProtocol(this.calls, this.keys, new ImageDownload(this.calls));
	}

	boolean hasKey() {
		return this.keys.key() != null;
	}

	/** Age of the current key, or null without one. */
	Duration keyAge() {
		return this.keys.keyAge();
	}

	boolean hasOrphanedGeneration() {
		return this.generation.hasOrphanedGeneration();
	}

	boolean protocolChanged() {
		return this.calls.protocolChanged();
	}

	/** Visits the generator page on the site, then opens {@code /embed} on the image-API origin. */
	void openPages() {
		String sitePage = this.perchance.site() + this.perchance.sitePagePath();
		try {
			this.page.navigate(sitePage);
		}
		catch (RuntimeException ex) {
			// The visit only lowers the odds of a challenge; the key flow decides whether the session works.
			log.warn("Session {}: visiting {} failed: {}", this.session, sitePage, ex.getMessage());
		}
		this.page.navigate(this.perchance.base() + "/embed");
	}

	/** Obtains a user key outside a job (warming up), with a retry budget of its own. */
	void obtainKey(Budget budget) {
		this.keys.obtain(budget, this.calls.attempts());
	}

	/** See {@link GenerateProtocol#settleOrphanedGeneration}. */
	void settleOrphanedGeneration(Budget budget) {
		this.generation.settleOrphanedGeneration(budget);
	}

	/** Runs one generation outside a job: nothing is reported, Perchance's queue position is not polled. */
	UpstreamImage generate(GenerationSpec spec, Budget budget) {
		return generate(spec, budget, ProgressSink.NONE);
	}

	/** See {@link GenerateProtocol#generate}. */
	UpstreamImage generate(GenerationSpec spec, Budget budget, ProgressSink progress) {
		return this.generation.generate(spec, budget, progress);
	}

	static String randomFloat() {
		return UpstreamCalls.randomFloat();
	}

	static String sha256(byte[] bytes) {
		return ImageDownload.sha256(bytes);
	}

}

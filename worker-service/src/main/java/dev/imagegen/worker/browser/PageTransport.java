package dev.imagegen.worker.browser;

import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

import com.microsoft.playwright.Page;

/**
 * {@link Transport} as an in-page {@code fetch} on the page of the image-API origin, so Cloudflare sees the
 * browser's cookies and TLS. User text only ever travels as the argument object of {@code page.evaluate},
 * never inside the script. Used by the one thread that owns the page.
 */
final class PageTransport implements Transport {

	// The timer also covers reading the body, so a truncated or stalled body cannot hang the session. Bytes
	// travel as base64: Uint8Array.toBase64 where the browser has it (the Chromium here, Firefox 133+; 0.03 ms for
	// an 88 KB image against 0.6-0.8 ms for the chunked String.fromCharCode and btoa kept as the fallback,
	// docs/benchmarks.md, "Worker overhead, seventh session").
	private static final String FETCH_SCRIPT = """
			async (a) => {
			  const ctrl = new AbortController();
			  const timer = setTimeout(() => ctrl.abort(), a.timeoutMs);
			  let active = true;
			  let pollTimer = null;
			  let pollInterval = null;
			  if (a.poll) {
			    const poll = async () => {
			      let text = null;
			      try {
			        const p = await fetch(a.poll.url, { credentials: 'include', cache: 'no-store' });
			        text = await p.text();
			      } catch (e) { }
			      if (active) {
			        try { await window[a.poll.binding](text); } catch (e) { }
			      }
			    };
			    pollTimer = setTimeout(() => {
			      if (!active) { return; }
			      poll();
			      pollInterval = setInterval(() => { if (active) { poll(); } }, a.poll.everyMs);
			    }, a.poll.firstAfterMs);
			  }
			  try {
			    const init = { method: a.method, signal: ctrl.signal, credentials: 'include', cache: 'no-store' };
			    if (a.body !== null && a.body !== undefined) {
			      init.body = a.body;
			      init.headers = { 'Content-Type': 'text/plain;charset=UTF-8' };
			    }
			    const r = await fetch(a.url, init);
			    const contentType = r.headers.get('content-type');
			    if (a.binary && r.status === 200) {
			      const buf = new Uint8Array(await r.arrayBuffer());
			      if (typeof buf.toBase64 === 'function') {
			        return { status: r.status, contentType: contentType, retryAfter: r.headers.get('retry-after'), base64: buf.toBase64() };
			      }
			      let s = '';
			      for (let i = 0; i < buf.length; i += 0x8000) {
			        s += String.fromCharCode.apply(null, buf.subarray(i, i + 0x8000));
			      }
			      return { status: r.status, contentType: contentType, retryAfter: r.headers.get('retry-after'), base64: btoa(s) };
			    }
			    return { status: r.status, contentType: contentType, retryAfter: r.headers.get('retry-after'), text: await r.text() };
			  } catch (e) {
			    return { status: -1, error: (e && e.name) ? String(e.name) : 'Error', message: String(e) };
			  } finally {
			    active = false;
			    clearTimeout(timer);
			    clearTimeout(pollTimer);
			    clearInterval(pollInterval);
			  }
			}
			""";

	// The page calls this exposed function with each poll's answer. playwright-java dispatches it on the
	// session thread while that thread waits in page.evaluate for the polled-over request.
	private static final String POLL_BINDING = "__imagegenPoll";

	private final Page page;

	// The poll of the request outstanding now; session thread only.
	private Poll currentPoll;

	PageTransport(Page page) {
		this.page = page;
		page.exposeFunction(POLL_BINDING, (args) -> {
			Poll poll = this.currentPoll;
			if (poll != null) {
				poll.answer().accept((args.length > 0 && args[0] instanceof String text) ? text : null);
			}
			return null;
		});
	}

	@Override
	public UpstreamResponse send(String method, String url, String body, boolean binary, Duration timeout) {
		return send(method, url, body, binary, timeout, null);
	}

	@Override
	public UpstreamResponse send(String method, String url, String body, boolean binary, Duration timeout, Poll poll) {
		Map<String, Object> args = new LinkedHashMap<>();
		args.put("url", url);
		args.put("method", method);
		args.put("body", body);
		args.put("binary", binary);
		args.put("timeoutMs", (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis())));
		if (poll != null) {
			Map<String, Object> polling = new LinkedHashMap<>();
			polling.put("url", poll.url());
			polling.put("binding", POLL_BINDING);
			// Playwright serialises int, not long.
			polling.put("firstAfterMs", (int) Math.min(Integer.MAX_VALUE, poll.firstAfter().toMillis()));
			polling.put("everyMs", (int) Math.min(Integer.MAX_VALUE, poll.every().toMillis()));
			args.put("poll", polling);
		}
		else {
			args.put("poll", null);
		}
		Object raw;
		this.currentPoll = poll;
		try {
			raw = this.page.evaluate(FETCH_SCRIPT, args);
		}
		finally {
			this.currentPoll = null;
		}
		if (!(raw instanceof Map<?, ?> result)) {
			return new UpstreamResponse(-1, null, null, null, "NoResult");
		}
		int status = (result.get("status") instanceof Number n) ? n.intValue() : -1;
		String contentType = (result.get("contentType") instanceof String s) ? s : null;
		String text = (result.get("text") instanceof String s) ? s : null;
		byte[] bytes = (result.get("base64") instanceof String s) ? Base64.getDecoder().decode(s) : null;
		String error = (result.get("error") instanceof String s) ? s : null;
		String retryAfter = (result.get("retryAfter") instanceof String s) ? s : null;
		return new UpstreamResponse(status, contentType, text, bytes, error, retryAfter);
	}

}

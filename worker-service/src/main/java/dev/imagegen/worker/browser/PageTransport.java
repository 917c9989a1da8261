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

	// The timer also covers reading the body, so a truncated or stalled body cannot hang the session. With
	// a.prefetch, a 200 JSON success of the request is followed in the same evaluation by the download of its
	// imageDownloadUrl: one browser round trip less per image (docs/perchance-protocol.md, section 3). The
	// download path comes from the answer at run time, never from the script's source.
	private static final String FETCH_SCRIPT = """
			async (a) => {
			  const started = performance.now();
			  const read = async (r, binary) => {
			    const contentType = r.headers.get('content-type');
			    const retryAfter = r.headers.get('retry-after');
			    if (binary && r.status === 200) {
			      const buf = new Uint8Array(await r.arrayBuffer());
			      if (typeof buf.toBase64 === 'function') {
			        return { status: r.status, contentType: contentType, retryAfter: retryAfter, base64: buf.toBase64() };
			      }
			      let s = '';
			      for (let i = 0; i < buf.length; i += 0x8000) {
			        s += String.fromCharCode.apply(null, buf.subarray(i, i + 0x8000));
			      }
			      return { status: r.status, contentType: contentType, retryAfter: retryAfter, base64: btoa(s) };
			    }
			    return { status: r.status, contentType: contentType, retryAfter: retryAfter, text: await r.text() };
			  };
			  const failed = (e) => ({ status: -1, error: (e && e.name) ? String(e.name) : 'Error', message: String(e) });
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
			  let answer;
			  try {
			    const init = { method: a.method, signal: ctrl.signal, credentials: 'include', cache: 'no-store' };
			    if (a.body !== null && a.body !== undefined) {
			      init.body = a.body;
			      init.headers = { 'Content-Type': 'text/plain;charset=UTF-8' };
			    }
			    answer = await read(await fetch(a.url, init), a.binary);
			  } catch (e) {
			    return failed(e);
			  } finally {
			    active = false;
			    clearTimeout(timer);
			    clearTimeout(pollTimer);
			    clearInterval(pollInterval);
			  }
			  if (!a.prefetch || answer.status !== 200 || typeof answer.text !== 'string') {
			    return answer;
			  }
			  let success = null;
			  try { success = JSON.parse(answer.text.trim()); } catch (e) { }
			  if (!success || success.status !== 'success' || typeof success.imageDownloadUrl !== 'string'
			      || !success.imageDownloadUrl.startsWith('/')) {
			    return answer;
			  }
			  const left = Math.min(a.prefetch.stepMs, a.prefetch.budgetMs - (performance.now() - started));
			  if (left < 1) {
			    return answer;
			  }
			  answer.downloadPath = success.imageDownloadUrl;
			  try { window[a.prefetch.binding](a.prefetch.call).catch(() => { }); } catch (e) { }
			  const downloadCtrl = new AbortController();
			  const downloadTimer = setTimeout(() => downloadCtrl.abort(), Math.floor(left));
			  try {
			    const r = await fetch(a.prefetch.base + success.imageDownloadUrl,
			        { signal: downloadCtrl.signal, credentials: 'include', cache: 'no-store' });
			    answer.download = await read(r, true);
			  } catch (e) {
			    answer.download = failed(e);
			  } finally {
			    clearTimeout(downloadTimer);
			  }
			  return answer;
			}
			""";

	// The page calls this exposed function with each poll's answer. playwright-java dispatches it on the
	// session thread while that thread waits in page.evaluate for the polled-over request.
	private static final String POLL_BINDING = "__imagegenPoll";

	// The page calls this one when a prefetched download starts (the generate answer has arrived).
	private static final String DOWNLOAD_BINDING = "__imagegenDownloading";

	private final Page page;

	// The poll of the request outstanding now; session thread only.
	private Poll currentPoll;

	// The prefetch of the generate call outstanding now, and whether its download has started; session thread only.
	private Prefetch currentPrefetch;

	private boolean downloadStarted;

	// Numbers the prefetching calls, so a binding call that came through late never starts another call's download.
	private int prefetchCall;

	PageTransport(Page page) {
		this.page = page;
		page.exposeFunction(POLL_BINDING, (args) -> {
			Poll poll = this.currentPoll;
			if (poll != null) {
				poll.answer().accept((args.length > 0 && args[0] instanceof String text) ? text : null);
			}
			return null;
		});
		page.exposeFunction(DOWNLOAD_BINDING, (args) -> {
			if (args.length > 0 && args[0] instanceof Number call && call.intValue() == this.prefetchCall) {
				downloadStarting();
			}
			return null;
		});
	}

	private void downloadStarting() {
		Prefetch prefetch = this.currentPrefetch;
		if (prefetch != null && !this.downloadStarted) {
			this.downloadStarted = true;
			prefetch.started().run();
		}
	}

	@Override
	public UpstreamResponse send(String method, String url, String body, boolean binary, Duration timeout) {
		return send(method, url, body, binary, timeout, null);
	}

	@Override
	public UpstreamResponse send(String method, String url, String body, boolean binary, Duration timeout, Poll poll) {
		Map<String, Object> args = arguments(method, url, body, binary, timeout, poll);
		args.put("prefetch", null);
		return response(evaluate(args, poll, null));
	}

	@Override
	public Generated generate(String url, String body, Duration timeout, Poll poll, Prefetch prefetch) {
		Map<String, Object> args = arguments("POST", url, body, false, timeout, poll);
		Map<String, Object> download = new LinkedHashMap<>();
		download.put("base", prefetch.base());
		download.put("stepMs", millis(prefetch.stepTimeout()));
		download.put("budgetMs", millis(prefetch.budget()));
		download.put("binding", DOWNLOAD_BINDING);
		download.put("call", ++this.prefetchCall);
		args.put("prefetch", download);
		Object raw = evaluate(args, poll, prefetch);
		UpstreamResponse response = response(raw);
		if (raw instanceof Map<?, ?> result && result.get("downloadPath") instanceof String path
				&& result.get("download") != null) {
			if (!this.downloadStarted) {
				// The page's call of the binding had not come through: the download step starts late rather than never.
				this.currentPrefetch = prefetch;
				downloadStarting();
				this.currentPrefetch = null;
			}
			return new Generated(response, path, response(result.get("download")));
		}
		return new Generated(response, null, null);
	}

	private static Map<String, Object> arguments(String method, String url, String body, boolean binary,
			Duration timeout, Poll poll) {
		Map<String, Object> args = new LinkedHashMap<>();
		args.put("url", url);
		args.put("method", method);
		args.put("body", body);
		args.put("binary", binary);
		args.put("timeoutMs", millis(timeout));
		if (poll != null) {
			Map<String, Object> polling = new LinkedHashMap<>();
			polling.put("url", poll.url());
			polling.put("binding", POLL_BINDING);
			polling.put("firstAfterMs", (int) Math.min(Integer.MAX_VALUE, poll.firstAfter().toMillis()));
			polling.put("everyMs", (int) Math.min(Integer.MAX_VALUE, poll.every().toMillis()));
			args.put("poll", polling);
		}
		else {
			args.put("poll", null);
		}
		return args;
	}

	// Playwright serialises int, not long.
	private static int millis(Duration duration) {
		return (int) Math.max(1, Math.min(Integer.MAX_VALUE, duration.toMillis()));
	}

	private Object evaluate(Map<String, Object> args, Poll poll, Prefetch prefetch) {
		this.currentPoll = poll;
		this.currentPrefetch = prefetch;
		this.downloadStarted = false;
		try {
			return this.page.evaluate(FETCH_SCRIPT, args);
		}
		finally {
			this.currentPoll = null;
			this.currentPrefetch = null;
		}
	}

	private static UpstreamResponse response(Object raw) {
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

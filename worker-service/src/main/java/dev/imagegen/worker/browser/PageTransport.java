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

	// The timer also covers reading the body, so a truncated or stalled body cannot hang the session.
	private static final String FETCH_SCRIPT = """
			async (a) => {
			  const ctrl = new AbortController();
			  const timer = setTimeout(() => ctrl.abort(), a.timeoutMs);
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
			    clearTimeout(timer);
			  }
			}
			""";

	private final Page page;

	PageTransport(Page page) {
		this.page = page;
	}

	@Override
	public UpstreamResponse send(String method, String url, String body, boolean binary, Duration timeout) {
		Map<String, Object> args = new LinkedHashMap<>();
		args.put("url", url);
		args.put("method", method);
		args.put("body", body);
		args.put("binary", binary);
		args.put("timeoutMs", (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis())));
		Object raw = this.page.evaluate(FETCH_SCRIPT, args);
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

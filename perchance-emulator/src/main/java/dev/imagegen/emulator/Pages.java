package dev.imagegen.emulator;

/** The HTML the emulator serves: site pages, the {@code /embed} page with its Turnstile stand-in, error pages. */
final class Pages {

    private Pages() {
    }

    static Reply home() {
        return Reply.html(200, """
                <!DOCTYPE html>
                <html lang="en"><head><meta charset="utf-8"><title>Perchance (emulator)</title></head>
                <body><h1>perchance.org (EMULATOR)</h1>
                <p><a href="/ai-text-to-image-generator">AI text-to-image generator</a></p></body></html>
                """, "success");
    }

    static Reply generatorPage() {
        return Reply.html(200, """
                <!DOCTYPE html>
                <html lang="en"><head><meta charset="utf-8">
                <title>AI Text to Image Generator (free, no sign-up) ― Perchance (emulator)</title></head>
                <body><h1>AI Text to Image Generator (EMULATOR)</h1>
                <iframe src="/embed" title="image generator" width="800" height="600"></iframe>
                </body></html>
                """, "success");
    }

    /**
     * The embed page. Its script stands in for Cloudflare Turnstile: after the configured delay it asks the
     * emulator for a fresh single-use token and shows it where the real widget does. The delay and the
     * pass switch travel as data attributes, so no value is ever spliced into script source.
     */
    static Reply embed(EmulatorConfig cfg) {
        String html = """
                <!DOCTYPE html>
                <html lang="en"><head><meta charset="utf-8"><title>Perchance image generation (emulator)</title></head>
                <body>
                <h1>ai-text-to-image-generator embed (EMULATOR)</h1>
                <form id="challenge-form" onsubmit="return false">
                  <div class="cf-turnstile" id="cf-chl-widget" data-sitekey="0x4AAAAAAAemulator0000000"
                       data-delay-ms="%d" data-passes="%s">
                    <span id="cf-turnstile-state">Verifying...</span>
                    <input type="hidden" name="cf-turnstile-response" id="cf-chl-widget_response" value="">
                  </div>
                </form>
                <script>
                (function () {
                  var widget = document.getElementById('cf-chl-widget');
                  var input = document.querySelector('input[name="cf-turnstile-response"]');
                  var label = document.getElementById('cf-turnstile-state');
                  var delay = parseInt(widget.dataset.delayMs, 10) || 0;
                  var passes = widget.dataset.passes === 'true';
                  var token, timer;
                  function solve() {
                    timer = setTimeout(function () {
                      fetch('/cdn-cgi/challenge-platform/turnstile/token', { method: 'POST', cache: 'no-store' })
                        .then(function (r) { if (!r.ok) { throw new Error('HTTP ' + r.status); } return r.text(); })
                        .then(function (t) { token = t; input.value = t; label.textContent = 'Success!'; })
                        .catch(function () { label.textContent = 'Verification failed'; });
                    }, delay);
                  }
                  window.turnstile = {
                    getResponse: function () { return token; },
                    isExpired: function () { return false; },
                    render: function () { return 'cf-chl-widget'; },
                    remove: function () { clearTimeout(timer); },
                    reset: function () {
                      clearTimeout(timer); token = undefined; input.value = ''; label.textContent = 'Verifying...';
                      if (passes) { solve(); }
                    }
                  };
                  if (passes) { solve(); }
                })();
                </script>
                </body></html>
                """.formatted(cfg.turnstileDelayMs(), cfg.turnstilePasses());
        return Reply.html(200, html, "success");
    }

    /** Cloudflare's bot challenge: HTTP 403, HTML, titled "Just a moment...". */
    static Reply cloudflareChallenge() {
        return Reply.html(403, """
                <!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>
                <meta http-equiv="Content-Type" content="text/html; charset=UTF-8">
                <meta name="robots" content="noindex,nofollow"></head>
                <body><div class="main-wrapper" role="main"><div class="main-content">
                <h1 class="zone-name-title h1">image-generation.perchance.org</h1>
                <h2 class="h2" id="challenge-running">Checking if the site connection is secure</h2>
                <noscript><div class="h2">Enable JavaScript and cookies to continue</div></noscript>
                </div></div></body></html>
                """, "fault:cloudflare-challenge")
            .withHeader("cf-mitigated", "challenge")
            .withHeader("Server", "cloudflare");
    }

    static Reply rateLimited() {
        return Reply.html(429, """
                <!DOCTYPE html><html lang="en-US"><head>
                <title>Access denied | image-generation.perchance.org used Cloudflare to restrict access</title></head>
                <body><h1>Error 1015</h1><h2>You are being rate limited</h2>
                <p>The owner of this website (image-generation.perchance.org) has banned you temporarily from
                accessing this website.</p></body></html>
                """, "fault:http-429")
            .withHeader("Server", "cloudflare");
    }

    static Reply serverError(int status) {
        String reason = status == 502 ? "Bad gateway" : "Internal server error";
        return Reply.html(status, """
                <!DOCTYPE html><html lang="en-US"><head>
                <title>image-generation.perchance.org | %d: %s</title></head>
                <body><h1>%s</h1><p>Error code %d</p></body></html>
                """.formatted(status, reason, reason, status), "fault:http-" + status)
            .withHeader("Server", "cloudflare");
    }
}

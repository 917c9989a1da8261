package dev.imagegen.emulator;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** The Turnstile path end to end in real Chromium, as the worker will walk it. */
class EmbedBrowserTests extends EmulatorTestSupport {

    @Test
    void embedWidgetYieldsATokenThatVerifyUserAcceptsFromThePage() {
        client.config("{\"trustMode\":\"token\",\"turnstileDelayMs\":300}");
        Path executable = Path.of(System.getProperty("test.browser.executable", "/usr/bin/chromium"));
        // A missing browser is a failure, never a skip.
        assertThat(Files.isExecutable(executable)).as("browser at %s", executable).isTrue();

        try (Playwright playwright = Playwright.create(
                new Playwright.CreateOptions().setEnv(Map.of("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")));
                Browser browser = playwright.chromium().launch(new BrowserType.LaunchOptions()
                    .setExecutablePath(executable)
                    .setArgs(List.of("--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                            "--disable-background-networking", "--disable-component-update", "--disable-sync",
                            "--no-first-run", "--disable-quic")))) {
            Page page = browser.newPage();
            page.navigate(emulator.baseUrl() + "/embed");
            page.waitForFunction("() => document.querySelector('input[name=\"cf-turnstile-response\"]').value.length > 0",
                    null, new Page.WaitForFunctionOptions().setTimeout(15_000));
            String token = page.inputValue("input[name=\"cf-turnstile-response\"]");
            assertThat(token).hasSizeGreaterThanOrEqualTo(80);
            assertThat(page.evaluate("() => window.turnstile.getResponse()")).isEqualTo(token);

            Object answer = page.evaluate("async (t) => { const r = await fetch('/api/verifyUser?thread=0&__cacheBust='"
                    + " + Math.random() + '&token=' + encodeURIComponent(t)); return await r.text(); }", token);

            JsonNode verified = Json.MAPPER.readTree((String) answer);
            assertThat(verified.get("status").asString()).isEqualTo("success");
            assertThat(verified.get("userKey").asString()).matches("[0-9a-f]{64}");
            Object again = page.evaluate("async () => (await fetch('/api/verifyUser?thread=0&__cacheBust=1')).text()");
            assertThat(Json.MAPPER.readTree((String) again).get("userKey").asString())
                .as("the browser's cookie keeps its key").isEqualTo(verified.get("userKey").asString());

            // A reset must reach the page as a network error, not be swallowed by a silent browser retry.
            client.control("DELETE", "log", null);
            client.fault("{\"endpoint\":\"generate\",\"kind\":\"connection-reset\"}");
            Object reset = page.evaluate("async (k) => { try { await fetch('/api/generate?userKey=' + k"
                    + " + '&requestId=0.1&adAccessCode=&__cacheBust=0.2', { method: 'POST', body: '{}' }); return 'answered'; }"
                    + " catch (e) { return 'failed'; } }", verified.get("userKey").asString());
            assertThat(reset).isEqualTo("failed");
            assertThat(client.log()).hasSize(1);
        }
    }
}

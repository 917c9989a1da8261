// Behaviour of the page at / (index.html). A file of its own because the page's Content-Security-Policy
// allows scripts from this origin only: no inline script, no inline event handler.
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const form = $("form"), statusLine = $("status"), submit = $("submit");
  let inFlight = null, objectUrl = null, timer = null;

  // The prompt limit is the API's MAX_PROMPT_LENGTH, published by /page-config.json, so that the page
  // never drifts from the server. Only a positive integer is applied; without it the server still checks.
  fetch("/page-config.json", { headers: { "Accept": "application/json" } })
    .then((response) => (response.ok ? response.json() : null))
    .then((config) => {
      const limit = config ? config.maxPromptLength : undefined;
      if (Number.isSafeInteger(limit) && limit > 0) {
        for (const id of ["prompt", "negative_prompt"]) $(id).setAttribute("maxlength", String(limit));
      }
    })
    .catch(() => { /* the server validates the length anyway */ });

  function parameters(seedOverride) {
    const params = new URLSearchParams();
    params.set("prompt", $("prompt").value);
    if ($("negative_prompt").value.trim() !== "") params.set("negative_prompt", $("negative_prompt").value);
    const seed = seedOverride !== undefined ? seedOverride : $("seed").value.trim();
    if (seed !== "") params.set("seed", seed);
    params.set("guidance_scale", $("guidance_scale").value.trim());
    params.set("shape", $("shape").value);
    params.set("format", $("format").value);
    return params;
  }

  function setBusy(busy, started) {
    submit.disabled = busy;
    statusLine.className = busy ? "busy" : "";
    clearInterval(timer);
    if (busy) {
      const tick = () => { statusLine.textContent = "Generating… " + Math.round((performance.now() - started) / 1000) + " s"; };
      tick();
      timer = setInterval(tick, 500);
    }
  }

  // A result that no longer matches the form must not stay on screen under a new error.
  function clearResult() {
    $("result").hidden = true;
    $("image").removeAttribute("src");
    $("seed-used").textContent = "";
    $("elapsed").textContent = "";
    $("share-url").value = "";
    $("download").setAttribute("href", "#");
    if (objectUrl) { URL.revokeObjectURL(objectUrl); objectUrl = null; }
  }

  function showError(problem, status) {
    clearResult();
    const title = problem && problem.title ? problem.title : "Request failed";
    $("error-title").textContent = status ? title + " (HTTP " + status + ")" : title;
    const errors = (problem && Array.isArray(problem.errors) ? problem.errors : [])
      .map((error) => String(error.parameter) + ": " + String(error.message));
    const detail = problem && problem.detail ? String(problem.detail) : "";
    // A validation problem's detail sums up its errors list: show each message once, as the list.
    const detailRepeatsList = errors.length > 0 && errors.every((text) => detail.includes(text));
    $("error-detail").textContent = detailRepeatsList ? "" : detail;
    $("error-detail").hidden = detailRepeatsList || detail === "";
    const list = $("error-list");
    list.replaceChildren(...errors.map((text) => {
      const item = document.createElement("li");
      item.textContent = text;
      return item;
    }));
    list.hidden = errors.length === 0;
    $("error").hidden = false;
  }

  // The file name the API proposes in Content-Disposition, or one made of the seed and the format.
  function fileName(response, seed, type) {
    const disposition = response.headers.get("Content-Disposition") || "";
    const quoted = /filename="([^"]+)"/i.exec(disposition);
    const bare = /filename=([^;"\s]+)/i.exec(disposition);
    const name = quoted ? quoted[1] : (bare ? bare[1] : "");
    if (name && !/[\/\\]/.test(name)) return name;
    const extension = /jpe?g/i.test(type) ? "jpg" : "png";
    return "imagegen" + (seed ? "-" + seed : "") + "." + extension;
  }

  // Reads the body chunk by chunk so that the status line shows the image arriving.
  async function receive(response) {
    const total = Number(response.headers.get("Content-Length")) || 0;
    const type = response.headers.get("Content-Type") || "application/octet-stream";
    if (!response.body || !response.body.getReader) return response.blob();
    const reader = response.body.getReader();
    const chunks = [];
    let received = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      received += value.length;
      clearInterval(timer);
      statusLine.textContent = "Receiving image… " + (total ? Math.round(100 * received / total) + " %" : Math.round(received / 1024) + " KB");
    }
    return new Blob(chunks, { type: type });
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (inFlight) inFlight.abort();
    const controller = new AbortController();
    inFlight = controller;
    $("error").hidden = true;
    const started = performance.now();
    setBusy(true, started);
    const url = "/generate?" + parameters().toString();
    try {
      const response = await fetch(url, { signal: controller.signal, headers: { "Accept": "image/png, image/jpeg, application/problem+json" } });
      if (!response.ok) {
        let problem = null;
        try { problem = await response.json(); } catch (ignored) { /* not JSON: show the status only */ }
        showError(problem, response.status);
        statusLine.textContent = "";
        return;
      }
      const blob = await receive(response);
      if (objectUrl) URL.revokeObjectURL(objectUrl);
      objectUrl = URL.createObjectURL(blob);
      $("image").src = objectUrl;
      const seed = response.headers.get("X-Seed") || "";
      $("seed-used").textContent = seed;
      $("elapsed").textContent = "took " + ((performance.now() - started) / 1000).toFixed(1) + " s";
      $("share-url").value = location.origin + "/generate?" + parameters(seed).toString();
      const download = $("download");
      download.href = objectUrl;
      download.download = fileName(response, seed, blob.type);
      $("result").hidden = false;
      statusLine.textContent = "Done.";
    } catch (error) {
      if (error.name !== "AbortError") {
        showError({ title: "Network error", detail: String(error.message || error) }, 0);
        statusLine.textContent = "";
      }
    } finally {
      if (inFlight === controller) { inFlight = null; setBusy(false); }
    }
  });

  $("copy").addEventListener("click", async () => {
    const field = $("share-url");
    try { await navigator.clipboard.writeText(field.value); $("copy").textContent = "Copied"; }
    catch (ignored) { field.select(); document.execCommand("copy"); $("copy").textContent = "Copied"; }
    setTimeout(() => { $("copy").textContent = "Copy link"; }, 1500);
  });
})();

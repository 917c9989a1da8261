// Behaviour of the page at / (index.html). A file of its own because the page's Content-Security-Policy
// allows scripts from this origin only: no inline script, no inline event handler.
// Every generation is a job (docs/api.md, "Jobs"): POST /jobs, follow /jobs/{id}/events for the queue position
// and phase, fetch /jobs/{id}/image at the end; Cancel is DELETE /jobs/{id}.
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const form = $("form"), statusLine = $("status"), submit = $("submit"), cancel = $("cancel");
  const HISTORY_KEY = "imagegen.history", HISTORY_SIZE = 8;
  let current = null, objectUrl = null;

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

  // A number when the text is one, else the text itself, so that the server names what is wrong with it.
  const numberOrText = (text) => (/^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text);

  function body() {
    const fields = { prompt: $("prompt").value, shape: $("shape").value, format: $("format").value };
    if ($("negative_prompt").value.trim() !== "") fields.negative_prompt = $("negative_prompt").value;
    const seed = $("seed").value.trim();
    if (seed !== "") fields.seed = numberOrText(seed);
    const guidance = $("guidance_scale").value.trim();
    if (guidance !== "") fields.guidance_scale = numberOrText(guidance);
    return fields;
  }

  // The shareable /generate URL of an image: its own parameters with the seed it was made with.
  function shareUrl(parameters, seed) {
    const params = new URLSearchParams();
    params.set("prompt", parameters.prompt);
    if (parameters.negative_prompt) params.set("negative_prompt", parameters.negative_prompt);
    params.set("seed", String(seed));
    params.set("guidance_scale", String(parameters.guidance_scale));
    params.set("shape", parameters.shape);
    params.set("format", parameters.format);
    return location.origin + "/generate?" + params.toString();
  }

  // A result that no longer matches the form must not stay on screen under a new request or an error.
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

  const PHASES = { queued: "Queued", starting: "Starting", generating: "Generating", downloading: "Downloading", done: "Finishing" };

  function describe(job) {
    let text = PHASES[job.phase] || String(job.phase);
    if (job.status === "queued" && Number.isSafeInteger(job.queuePosition)) {
      text += job.queuePosition === 0 ? " (next)" : " (" + job.queuePosition + " ahead)";
    }
    if (Number.isSafeInteger(job.upstreamQueuePosition)) text += " (upstream queue: " + job.upstreamQueuePosition + ")";
    return text;
  }

  function elapsed(run) {
    return Math.round((performance.now() - run.started) / 1000) + " s";
  }

  function showProgress(run) {
    statusLine.dataset.status = run.job ? run.job.status : "";
    statusLine.dataset.phase = run.job ? run.job.phase : "";
    statusLine.textContent = (run.job ? describe(run.job) : "Submitting") + " · " + elapsed(run);
  }

  function finish(run) {
    if (run.events) run.events.close();
    clearInterval(run.timer);
    if (current === run) {
      current = null;
      submit.disabled = false;
      cancel.hidden = true;
      statusLine.className = "";
    }
  }

  async function showImage(run, job) {
    const response = await fetch("/jobs/" + encodeURIComponent(job.id) + "/image",
      { headers: { "Accept": "image/png, image/jpeg, application/problem+json" } });
    if (current !== run) return;
    if (!response.ok) {
      let problem = null;
      try { problem = await response.json(); } catch (ignored) { /* not JSON: show the status only */ }
      showError(problem, response.status);
      statusLine.textContent = "";
      return;
    }
    const blob = await response.blob();
    if (current !== run) return;
    clearResult();
    objectUrl = URL.createObjectURL(blob);
    $("image").src = objectUrl;
    const seed = response.headers.get("X-Seed") || String(job.seed);
    $("seed-used").textContent = seed;
    $("elapsed").textContent = "took " + ((performance.now() - run.started) / 1000).toFixed(1) + " s";
    const link = shareUrl(job.parameters, seed);
    $("share-url").value = link;
    const download = $("download");
    download.href = objectUrl;
    download.download = fileName(response, seed, blob.type);
    $("result").hidden = false;
    statusLine.textContent = "Done.";
    remember({ link: link, seed: seed, prompt: job.parameters.prompt });
  }

  async function update(run, job) {
    run.job = job;
    showProgress(run);
    if (job.status === "succeeded" || job.status === "failed") {
      if (run.events) run.events.close();
      try { await showImage(run, job); }
      catch (error) { if (current === run) showError({ title: "Network error", detail: String(error.message || error) }, 0); }
      finish(run);
    }
    else if (job.status === "cancelled") {
      finish(run);
      statusLine.textContent = "Cancelled.";
    }
  }

  function follow(run, job) {
    run.events = new EventSource("/jobs/" + encodeURIComponent(job.id) + "/events");
    run.events.addEventListener("job", (event) => {
      if (current !== run) return;
      let state = null;
      try { state = JSON.parse(event.data); } catch (ignored) { return; }
      update(run, state);
    });
    // EventSource reconnects by itself after a network hiccup; a stream that cannot be had at all is closed.
    run.events.addEventListener("error", () => {
      if (current === run && run.events.readyState === EventSource.CLOSED) {
        finish(run);
        showError({ title: "Lost the job's progress", detail: "Reload the page to try again." }, 0);
        statusLine.textContent = "";
      }
    });
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (current) {
      // A new request replaces the one in progress: it is cancelled, not left running unseen.
      const previous = current;
      finish(previous);
      if (previous.job) fetch("/jobs/" + encodeURIComponent(previous.job.id), { method: "DELETE" }).catch(() => {});
    }
    const run = { started: performance.now(), job: null, events: null, timer: null };
    current = run;
    clearResult();
    $("error").hidden = true;
    submit.disabled = true;
    statusLine.className = "busy";
    showProgress(run);
    run.timer = setInterval(() => showProgress(run), 500);
    try {
      const response = await fetch("/jobs", {
        method: "POST",
        headers: { "Content-Type": "application/json", "Accept": "application/json, application/problem+json" },
        body: JSON.stringify(body())
      });
      const answer = await response.json().catch(() => null);
      if (current !== run) return;
      if (response.status !== 202 || !answer || typeof answer.id !== "string") {
        finish(run);
        showError(answer, response.status);
        statusLine.textContent = "";
        return;
      }
      cancel.hidden = false;
      await update(run, answer);
      if (current === run) follow(run, answer);
    } catch (error) {
      if (current === run) {
        finish(run);
        showError({ title: "Network error", detail: String(error.message || error) }, 0);
        statusLine.textContent = "";
      }
    }
  });

  cancel.addEventListener("click", () => {
    const run = current;
    if (!run || !run.job) return;
    cancel.disabled = true;
    fetch("/jobs/" + encodeURIComponent(run.job.id), { method: "DELETE", headers: { "Accept": "application/json" } })
      .then((response) => (response.ok ? response.json() : null))
      .then((job) => { if (job && current === run) update(run, job); })
      .catch(() => { /* the event stream still tells the outcome */ })
      .finally(() => { cancel.disabled = false; });
  });

  $("copy").addEventListener("click", async () => {
    const field = $("share-url");
    try { await navigator.clipboard.writeText(field.value); $("copy").textContent = "Copied"; }
    catch (ignored) { field.select(); document.execCommand("copy"); $("copy").textContent = "Copied"; }
    setTimeout(() => { $("copy").textContent = "Copy link"; }, 1500);
  });

  // A few recent images, in this browser only: their shareable links (a fixed seed, so the API's cache can
  // answer them), never the image bytes.
  function readHistory() {
    try {
      const list = JSON.parse(localStorage.getItem(HISTORY_KEY) || "[]");
      return Array.isArray(list) ? list.filter((entry) => entry && typeof entry.link === "string") : [];
    } catch (ignored) { return []; }
  }

  function renderHistory() {
    const entries = readHistory();
    $("history").replaceChildren(...entries.map((entry) => {
      const item = document.createElement("li");
      const link = document.createElement("a");
      // Only this origin's own /generate links are shown, whatever the storage holds.
      link.href = entry.link.startsWith(location.origin + "/generate?") ? entry.link : "#";
      link.textContent = String(entry.prompt) + " — seed " + String(entry.seed);
      item.append(link);
      return item;
    }));
    $("recent").hidden = entries.length === 0;
  }

  function remember(entry) {
    const entries = [entry].concat(readHistory().filter((old) => old.link !== entry.link)).slice(0, HISTORY_SIZE);
    try { localStorage.setItem(HISTORY_KEY, JSON.stringify(entries)); } catch (ignored) { /* storage full or off */ }
    renderHistory();
  }

  $("clear-history").addEventListener("click", () => {
    try { localStorage.removeItem(HISTORY_KEY); } catch (ignored) { /* nothing to clear */ }
    renderHistory();
  });

  renderHistory();
})();

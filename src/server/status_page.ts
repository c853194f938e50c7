/**
 * The server's status page (`GET /`): one self-contained HTML document with inline CSS and
 * JavaScript, no external assets and no build step.
 *
 * The page polls `GET /status` every 2 seconds with `Authorization: Bearer <token>`. The
 * token comes from the URL fragment (`/#token=...`, removed from the address bar once read)
 * or from the token box, and is kept in `sessionStorage` for the tab. A 401 or 403 answer
 * shows an "unauthorized" panel; a failed fetch shows an error banner and keeps the last
 * values on screen, marked stale.
 *
 * What it shows: the event number (element `#event-number`, its text the decimal number),
 * the health (`#health`: healthy | nearly-full | growing | stale | recovering, colour-coded),
 * the kernel hash, the slab (capacity, used, live, free, reserve, growth count), a chart of
 * slab capacity and used bytes over time (inline SVG `#slab-chart`, from `history`), the
 * snapshots with their ages, the last boot (level, replayed events, time, and why earlier
 * levels were skipped), uptime, pokes and peeks; in cluster mode, the member's role, the
 * leader's URL and the lag (`#cluster-card`, hidden otherwise). Every missing field is shown
 * as "—".
 *
 * @module
 */

/** Poll interval of the page, in milliseconds. */
export const statusPollMs = 2000;

/**
 * The status page: a complete HTML document (UTF-8).
 *
 * @example
 * ```ts
 * import { statusPageHtml } from "./status_page.ts";
 * const html = statusPageHtml();
 * console.assert(html.startsWith("<!doctype html>"));
 * ```
 */
export function statusPageHtml(): string {
  return page
    .replaceAll("__POLL_MS__", String(statusPollMs))
    .replaceAll("__POLL_S__", String(statusPollMs / 1000));
}

// The page's script is plain ES2017 written without template literals, so this file needs no
// escaping. DOM text is always set with textContent (never innerHTML), so status values
// cannot inject markup.
const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Cellar status</title>
<link rel="icon" href="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Crect width='16' height='16' rx='3' fill='%230969da'/%3E%3C/svg%3E">
<style>
:root {
  --bg: #f4f5f7; --panel: #ffffff; --text: #1f2328; --muted: #656d76; --line: #d8dee4;
  --accent: #0969da; --used: #0969da; --capacity: #8c959f; --live: #1a7f37;
  --ok: #1a7f37; --warn: #bc4c00; --grow: #0969da; --stale: #9a6700; --recover: #8250df;
  --bad: #cf222e; --badbg: #ffebe9;
  --mono: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117; --panel: #161b22; --text: #e6edf3; --muted: #8d96a0; --line: #30363d;
    --accent: #4493f8; --used: #4493f8; --capacity: #6e7681; --live: #3fb950;
    --ok: #3fb950; --warn: #db6d28; --grow: #4493f8; --stale: #d29922; --recover: #a371f7;
    --bad: #f85149; --badbg: #3c1618;
  }
}
* { box-sizing: border-box; }
body {
  margin: 0; background: var(--bg); color: var(--text);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
header {
  display: flex; align-items: center; gap: 16px; flex-wrap: wrap;
  padding: 14px 24px; background: var(--panel); border-bottom: 1px solid var(--line);
}
header h1 { font-size: 18px; margin: 0; font-weight: 600; letter-spacing: .2px; }
header .brand { display: flex; align-items: center; gap: 10px; }
header .logo {
  width: 26px; height: 26px; border-radius: 6px; background: var(--accent); color: #fff;
  display: grid; place-items: center; font-weight: 700; font-size: 15px;
}
header .spacer { flex: 1; }
#updated { color: var(--muted); font-size: 12px; }
#updated.stale-data { color: var(--bad); }
form#token-form { display: flex; gap: 6px; align-items: center; }
form#token-form input {
  font: 13px var(--mono); padding: 5px 8px; width: 190px; border: 1px solid var(--line);
  border-radius: 6px; background: var(--bg); color: var(--text);
}
button {
  font: inherit; font-size: 13px; padding: 5px 12px; border-radius: 6px; cursor: pointer;
  border: 1px solid var(--line); background: var(--panel); color: var(--text);
}
button:hover { border-color: var(--muted); }
main { max-width: 1180px; margin: 0 auto; padding: 20px 24px 32px; }
.banner {
  display: none; margin-bottom: 16px; padding: 10px 14px; border-radius: 8px;
  border: 1px solid var(--bad); background: var(--badbg); color: var(--bad);
}
.banner.shown { display: block; }
.banner strong { margin-right: 6px; }
.grid { display: grid; gap: 16px; }
.cards { grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); margin-bottom: 16px; }
.two { grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); margin-bottom: 16px; }
@media (max-width: 860px) { .two { grid-template-columns: 1fr; } }
.panel {
  background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px;
  min-width: 0;
}
.panel h2 {
  font-size: 12px; font-weight: 600; text-transform: uppercase; letter-spacing: .6px;
  color: var(--muted); margin: 0 0 10px;
}
.card .value { font-size: 24px; font-weight: 600; font-variant-numeric: tabular-nums; }
.pair { display: flex; flex-wrap: wrap; gap: 0 18px; }
.pair .value { font-size: 20px; line-height: 36px; }
.sub { color: var(--muted); font-size: 12px; margin-top: 2px; }
.mono { font-family: var(--mono); }
#kernel-hash { font-size: 15px; white-space: nowrap; display: block; margin-top: 8px; overflow: hidden; text-overflow: ellipsis; }
.pill {
  display: inline-flex; align-items: center; gap: 7px; padding: 3px 12px 3px 10px;
  border-radius: 999px; font-size: 15px; font-weight: 600; color: var(--muted);
  border: 1px solid currentColor; margin-top: 4px; white-space: nowrap;
}
.pill::before { content: ""; width: 9px; height: 9px; border-radius: 50%; background: currentColor; }
.health-healthy { color: var(--ok); }
.health-nearly-full { color: var(--warn); }
.health-growing { color: var(--grow); }
.health-stale { color: var(--stale); }
.health-recovering { color: var(--recover); }
.health-failed { color: var(--bad); }
dl.kv { display: grid; grid-template-columns: max-content 1fr; gap: 6px 18px; margin: 0; }
dl.kv dt { color: var(--muted); }
dl.kv dd { margin: 0; font-variant-numeric: tabular-nums; text-align: right; }
.meter {
  height: 8px; border-radius: 4px; background: var(--bg); border: 1px solid var(--line);
  overflow: hidden; margin: 4px 0 14px; display: flex;
}
.meter span { display: block; height: 100%; }
#meter-live { background: var(--live); }
#meter-dead { background: var(--used); opacity: .45; }
.legend { display: flex; gap: 16px; font-size: 12px; color: var(--muted); margin-bottom: 6px; }
.legend i {
  display: inline-block; width: 14px; height: 3px; vertical-align: middle; margin-right: 6px;
  border-radius: 2px;
}
#slab-chart { width: 100%; height: 230px; display: block; }
#slab-chart text { fill: var(--muted); font-size: 11px; font-family: inherit; }
#slab-chart .grid-line { stroke: var(--line); stroke-width: 1; }
#slab-chart .capacity { stroke: var(--capacity); stroke-width: 2; fill: none; stroke-dasharray: 5 3; }
#slab-chart .used { stroke: var(--used); stroke-width: 2; fill: none; }
#slab-chart .used-area { fill: var(--used); opacity: .12; stroke: none; }
#slab-chart .dot { fill: var(--used); }
#slab-chart .capacity-dot { fill: var(--capacity); }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); }
th { color: var(--muted); font-weight: 600; font-size: 12px; }
td.num, th.num { text-align: right; }
tr:last-child td { border-bottom: none; }
.tag {
  display: inline-block; padding: 0 7px; border-radius: 4px; font-size: 12px;
  background: var(--bg); border: 1px solid var(--line);
}
.empty { color: var(--muted); font-style: italic; }
#boot-skipped { margin: 10px 0 0; padding: 0; list-style: none; }
#boot-skipped li { padding: 6px 0; border-top: 1px solid var(--line); }
#boot-skipped .reason { color: var(--muted); display: block; }
#boot-skipped .warning strong { color: var(--warn); }
#unauthorized { display: none; }
#unauthorized.shown { display: block; }
#unauthorized .panel { border-color: var(--bad); text-align: center; padding: 36px 16px; }
#unauthorized h2 { color: var(--bad); font-size: 18px; text-transform: none; letter-spacing: 0; }
body.unauthorized #dashboard { display: none; }
footer { color: var(--muted); font-size: 12px; text-align: center; margin-top: 8px; }
</style>
</head>
<body>
<noscript><p style="padding:16px">This page needs JavaScript. The raw data is at <a href="status">/status</a>.</p></noscript>
<header>
  <div class="brand"><div class="logo" aria-hidden="true">C</div><h1>Cellar status</h1></div>
  <span id="updated">Connecting…</span>
  <span class="spacer"></span>
  <form id="token-form" autocomplete="off">
    <label for="token-input" class="sub" style="color:var(--muted);font-size:12px">Token</label>
    <input id="token-input" type="password" placeholder="bearer token" spellcheck="false">
    <button type="submit">Use</button>
    <button type="button" id="token-clear" title="Forget the token for this tab">Clear</button>
  </form>
</header>
<main>
  <div id="error-banner" class="banner" role="alert"><strong>Cannot fetch /status.</strong><span id="error-text"></span></div>
  <section id="unauthorized" aria-live="polite">
    <div class="panel">
      <h2>Unauthorized</h2>
      <p id="unauthorized-text">The server refused the request. Enter the server's token above (or open this page as <span class="mono">/#token=…</span>).</p>
    </div>
  </section>
  <div id="dashboard">
    <section class="grid cards">
      <div class="panel card"><h2>Event</h2><div class="value mono" id="event-number">—</div><div class="sub">last committed event</div></div>
      <div class="panel card"><h2>Health</h2><div><span id="health" class="pill">—</span></div><div class="sub" id="health-detail"></div></div>
      <div class="panel card"><h2>Uptime</h2><div class="value" id="uptime">—</div><div class="sub">since the server started</div></div>
      <div class="panel card"><h2>Requests</h2><div class="pair"><div><div class="value" id="pokes">—</div><div class="sub">pokes</div></div><div><div class="value" id="peeks">—</div><div class="sub">peeks</div></div></div></div>
      <div class="panel card"><h2>Event rate</h2><div class="value" id="event-rate">—</div><div class="sub">events/s, last minute</div></div>
      <div class="panel card"><h2>Poke latency</h2><div class="pair"><div><div class="value" id="poke-p50">—</div><div class="sub">p50</div></div><div><div class="value" id="poke-p99">—</div><div class="sub">p99</div></div></div><div class="sub" id="peek-latency">—</div></div>
      <div class="panel card"><h2>Errors</h2><div class="pair"><div><div class="value" id="poke-errors">—</div><div class="sub">pokes</div></div><div><div class="value" id="peek-errors">—</div><div class="sub">peeks</div></div></div><div class="sub" id="http-errors">—</div></div>
      <div class="panel card"><h2>Kernel</h2><span class="mono" id="kernel-hash" title="">—</span><div class="sub">kernel hash (blake3)</div></div>
      <div class="panel card" id="cluster-card" hidden><h2>Cluster</h2><div class="value" id="cluster-role">—</div><div class="sub mono" id="cluster-leader">—</div><div class="sub" id="cluster-lag">—</div></div>
    </section>
    <section class="grid two">
      <div class="panel">
        <h2>Slab over time</h2>
        <div class="legend"><span><i style="background:var(--capacity)"></i>capacity</span><span><i style="background:var(--used)"></i>used</span></div>
        <svg id="slab-chart" role="img" aria-label="Slab capacity and used bytes over time"></svg>
      </div>
      <div class="panel">
        <h2>Slab</h2>
        <div class="meter" title="live and dead bytes as a share of the capacity"><span id="meter-live"></span><span id="meter-dead"></span></div>
        <div class="sub" id="slab-summary" style="margin:-8px 0 12px">—</div>
        <dl class="kv">
          <dt>Capacity</dt><dd id="slab-capacity">—</dd>
          <dt>Used</dt><dd id="slab-used">—</dd>
          <dt title="bytes still reachable at the last GC">Live</dt><dd id="slab-live">—</dd>
          <dt>Free</dt><dd id="slab-free">—</dd>
          <dt title="address space reserved for the slab">Reserved</dt><dd id="slab-reserve">—</dd>
          <dt>Growths</dt><dd id="slab-growth">—</dd>
        </dl>
      </div>
    </section>
    <section class="grid two">
      <div class="panel">
        <h2>Snapshots</h2>
        <table>
          <thead><tr><th>Name</th><th>Kind</th><th class="num">Event</th><th class="num">Size</th><th class="num">Age</th></tr></thead>
          <tbody id="snapshots"><tr><td colspan="5" class="empty">—</td></tr></tbody>
        </table>
      </div>
      <div class="panel">
        <h2>Last boot</h2>
        <dl class="kv">
          <dt>Level</dt><dd id="boot-level">—</dd>
          <dt>Detail</dt><dd id="boot-detail">—</dd>
          <dt>Events replayed</dt><dd id="boot-replayed">—</dd>
          <dt>Boot time</dt><dd id="boot-ms">—</dd>
        </dl>
        <ul id="boot-skipped"></ul>
      </div>
    </section>
    <section class="grid two">
      <div class="panel">
        <h2>Effect subscribers</h2>
        <table>
          <thead><tr><th>Id</th><th>Filter</th><th class="num">Sent</th><th class="num">Connected</th></tr></thead>
          <tbody id="subscribers"><tr><td colspan="4" class="empty">—</td></tr></tbody>
        </table>
        <div class="sub" id="effects-retained"></div>
      </div>
    </section>
  </div>
  <footer>Refreshes every __POLL_S__ s · raw data: <a href="status" style="color:inherit">/status</a> (needs the token)</footer>
</main>
<script>
(function () {
  "use strict";
  var POLL_MS = __POLL_MS__;
  var TOKEN_KEY = "cellar.token";
  var DASH = "\\u2014";
  var HEALTHS = ["healthy", "nearly-full", "growing", "stale", "recovering", "failed"];
  var SVG_NS = "http://www.w3.org/2000/svg";
  var last = null;
  var lastOkAt = 0;
  var timer = 0;

  function $(id) { return document.getElementById(id); }
  function setText(id, value) { $(id).textContent = value; }

  // ---- the token ------------------------------------------------------------------------
  function storedToken() {
    try { return sessionStorage.getItem(TOKEN_KEY) || ""; } catch (e) { return ""; }
  }
  function storeToken(token) {
    try {
      if (token) sessionStorage.setItem(TOKEN_KEY, token); else sessionStorage.removeItem(TOKEN_KEY);
    } catch (e) { /* storage may be disabled: the token lives in memory only */ }
    memoryToken = token;
  }
  var memoryToken = storedToken();
  (function tokenFromFragment() {
    var hash = location.hash.replace(/^#/, "");
    if (!hash) return;
    var params = new URLSearchParams(hash);
    var token = params.get("token");
    if (token === null) return;
    storeToken(token);
    // Keep the token out of the address bar and the history.
    history.replaceState(null, "", location.pathname + location.search);
  })();
  $("token-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var value = $("token-input").value.trim();
    if (!value) return;
    storeToken(value);
    $("token-input").value = "";
    pollNow();
  });
  $("token-clear").addEventListener("click", function () { storeToken(""); pollNow(); });

  // ---- formatting -----------------------------------------------------------------------
  function num(value) {
    if (typeof value === "number") return isFinite(value) ? value : null;
    if (typeof value === "string" && /^-?\\d+(\\.\\d+)?$/.test(value)) return Number(value);
    return null;
  }
  function bytes(value) {
    var n = num(value);
    if (n === null) return DASH;
    var units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    var i = 0;
    var v = Math.abs(n);
    while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
    var digits = i === 0 ? 0 : v < 10 ? 2 : v < 100 ? 1 : 0;
    return (n < 0 ? "-" : "") + v.toFixed(digits) + " " + units[i];
  }
  function count(value) {
    var n = num(value);
    if (n === null) return DASH;
    if (typeof value === "string" && !isSafe(n)) return value;
    return n.toLocaleString("en-US");
  }
  function isSafe(n) { return Math.abs(n) <= 9007199254740991; }
  function duration(value) {
    var s = num(value);
    if (s === null || s < 0) return DASH;
    s = Math.floor(s);
    if (s < 60) return s + " s";
    var d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600);
    var m = Math.floor(s % 3600 / 60), sec = s % 60;
    if (d > 0) return d + " d " + h + " h";
    if (h > 0) return h + " h " + m + " min";
    return m + " min " + sec + " s";
  }
  function ms(value) {
    var n = num(value);
    if (n === null) return DASH;
    return n < 1000 ? Math.round(n) + " ms" : (n / 1000).toFixed(n < 10000 ? 2 : 1) + " s";
  }
  function str(value) {
    if (value === null || value === undefined || value === "") return DASH;
    return String(value);
  }
  function clock(t) {
    var d = new Date(t);
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return two(d.getHours()) + ":" + two(d.getMinutes()) + ":" + two(d.getSeconds());
  }
  function obj(value) { return value && typeof value === "object" ? value : {}; }
  function list(value) { return Array.isArray(value) ? value : []; }

  // ---- rendering ------------------------------------------------------------------------
  function render(s) {
    s = obj(s);
    var ev = s.eventNumber;
    setText("event-number", (typeof ev === "string" || typeof ev === "number") && String(ev) !== "" ? String(ev) : DASH);

    var health = $("health");
    var h = typeof s.health === "string" && s.health ? s.health : null;
    health.textContent = h || DASH;
    health.className = "pill" + (h && HEALTHS.indexOf(h) >= 0 ? " health-" + h : "");
    var recovery = obj(s.recovery);
    var detail = "";
    if (typeof s.failure === "string" && s.failure) detail = s.failure;
    else if (num(recovery.total) !== null) detail = "replaying " + count(recovery.done) + " of " + count(recovery.total) + " events";
    else if (typeof s.phase === "string" && s.phase !== "ready") detail = s.phase;
    setText("health-detail", detail);

    var hash = typeof s.kernelHash === "string" && s.kernelHash ? s.kernelHash : null;
    setText("kernel-hash", hash ? (hash.length > 20 ? hash.slice(0, 12) + "\\u2026" + hash.slice(-6) : hash) : DASH);
    $("kernel-hash").title = hash || "";

    setText("uptime", duration(s.uptimeSeconds));
    setText("pokes", count(s.pokes));
    setText("peeks", count(s.peeks));
    renderRequests(s);

    var slab = obj(s.slab);
    setText("slab-capacity", bytes(slab.capacityBytes));
    setText("slab-used", bytes(slab.usedBytes));
    var cap = num(slab.capacityBytes), used = num(slab.usedBytes), live = num(slab.liveBytes);
    // Live bytes are measured by a GC: before the first one the server reports 0.
    var liveKnown = live !== null && !(live === 0 && used !== null && used > 0);
    setText("slab-live", liveKnown ? bytes(live) : live === null ? DASH : "not measured yet");
    setText("slab-free", bytes(slab.freeBytes));
    setText("slab-reserve", bytes(slab.reserveBytes));
    setText("slab-growth", count(slab.growthCount));
    var livePct = cap && liveKnown ? Math.min(100, 100 * live / cap) : 0;
    var usedPct = cap && used !== null ? Math.min(100, 100 * used / cap) : 0;
    $("meter-live").style.width = livePct + "%";
    $("meter-dead").style.width = Math.max(0, usedPct - livePct) + "%";
    setText("slab-summary", cap && used !== null ?
      Math.round(usedPct) + "% of the capacity used" + (liveKnown ? ", " + Math.round(livePct) + "% live" : "") :
      DASH);

    renderSnapshots(list(s.snapshots));
    renderSubscribers(obj(s.effects));
    renderCluster(s.cluster);
    renderBoot(obj(s.boot));
    renderChart(list(s.history));
  }

  function latency(value) {
    var n = num(value);
    if (n === null) return DASH;
    return n < 10 ? n.toFixed(2) + " ms" : ms(n);
  }
  function renderRequests(s) {
    var rate = num(s.eventRate);
    setText("event-rate", rate === null ? DASH : rate < 10 ? rate.toFixed(2) : count(Math.round(rate)));
    var lat = obj(s.latencyMs), poke = obj(lat.poke), peek = obj(lat.peek);
    setText("poke-p50", latency(poke.p50));
    setText("poke-p99", latency(poke.p99));
    setText("peek-latency", "peek p50 " + latency(peek.p50) + " \u00b7 p99 " + latency(peek.p99));
    var errors = obj(s.errors);
    setText("poke-errors", count(errors.pokes));
    setText("peek-errors", count(errors.peeks));
    setText("http-errors", "HTTP " + count(errors.http5xx) + " \u00d7 5xx \u00b7 " + count(errors.http4xx) + " \u00d7 4xx");
  }

  function cell(row, text, className) {
    var td = document.createElement("td");
    if (className) td.className = className;
    td.textContent = text;
    row.appendChild(td);
    return td;
  }

  function renderSnapshots(snapshots) {
    var body = $("snapshots");
    body.textContent = "";
    if (snapshots.length === 0) {
      var row = document.createElement("tr");
      cell(row, "No snapshots yet", "empty").colSpan = 5;
      body.appendChild(row);
      return;
    }
    snapshots.forEach(function (snap) {
      snap = obj(snap);
      var row = document.createElement("tr");
      cell(row, str(snap.name), "mono");
      var kind = cell(row, "");
      var tag = document.createElement("span");
      tag.className = "tag";
      tag.textContent = str(snap.kind);
      kind.appendChild(tag);
      cell(row, str(snap.eventNumber), "num mono");
      cell(row, bytes(snap.bytes), "num");
      var age = duration(snap.ageSeconds);
      cell(row, age === DASH ? DASH : age + " ago", "num");
      body.appendChild(row);
    });
  }

  // Cluster mode only (docs/CLUSTER.md): the member's role, the leader, the lag.
  function renderCluster(value) {
    $("cluster-card").hidden = !value || typeof value !== "object";
    if ($("cluster-card").hidden) return;
    setText("cluster-role", str(value.role) + (value.alarm ? " (alarm)" : ""));
    setText("cluster-leader", "leader " + str(value.leader));
    setText("cluster-lag", "lag " + count(value.lagEvents) + " events \u00b7 " + ms(value.lagMs));
  }
  function renderSubscribers(effects) {
    var body = $("subscribers");
    var subscribers = list(effects.subscribers);
    body.textContent = "";
    if (subscribers.length === 0) {
      var row = document.createElement("tr");
      cell(row, "No subscribers (GET /effects)", "empty").colSpan = 4;
      body.appendChild(row);
    }
    subscribers.forEach(function (sub) {
      sub = obj(sub);
      var row = document.createElement("tr");
      cell(row, str(sub.id), "mono");
      var tags = list(sub.tags).map(str).join(", ");
      cell(row, (tags ? "tag " + tags : "all tags") + (sub.wire ? " \u00b7 wire " + str(sub.wire) : ""));
      cell(row, count(sub.sent), "num");
      var age = duration(sub.connectedSeconds);
      cell(row, age, "num");
      body.appendChild(row);
    });
    var retained = obj(effects.retained);
    setText("effects-retained", effects.retained ?
      count(retained.effects) + " effects retained (" + bytes(retained.bytes) + "), " +
      count(effects.disconnectedSlow) + " slow subscribers disconnected" : "");
  }

  function renderBoot(boot) {
    var level = num(boot.level);
    var name = typeof boot.name === "string" && boot.name ? boot.name : null;
    setText("boot-level", level === null && !name ? DASH : (level === null ? "" : level + (name ? " \\u00b7 " : "")) + (name || ""));
    setText("boot-detail", str(boot.detail));
    setText("boot-replayed", count(boot.replayed));
    setText("boot-ms", ms(boot.bootMs));
    var ul = $("boot-skipped");
    ul.textContent = "";
    function item(title, text, className) {
      var li = document.createElement("li");
      if (className) li.className = className;
      var head = document.createElement("strong");
      head.textContent = title;
      var reason = document.createElement("span");
      reason.className = "reason";
      reason.textContent = text;
      li.appendChild(head);
      li.appendChild(reason);
      ul.appendChild(li);
    }
    var skipped = list(boot.skipped);
    if (skipped.length === 0) {
      var none = document.createElement("li");
      none.className = "empty";
      none.textContent = boot.level === undefined ? DASH : "No level was skipped";
      ul.appendChild(none);
    }
    skipped.forEach(function (skip) {
      skip = obj(skip);
      item("Skipped level " + str(skip.level) + (skip.name ? " \\u00b7 " + skip.name : ""), str(skip.reason));
    });
    list(boot.warnings).forEach(function (warning) { item("Warning", str(warning), "warning"); });
  }

  function svg(parent, tag, attrs, text) {
    var el = document.createElementNS(SVG_NS, tag);
    for (var k in attrs) el.setAttribute(k, String(attrs[k]));
    if (text !== undefined) el.textContent = text;
    parent.appendChild(el);
    return el;
  }

  function niceStep(max, ticks) {
    // A step of 1, 2 or 5 times a power of two in bytes' units (1 KiB, 2 MiB, 5 GiB, ...).
    var raw = max / ticks;
    var unit = 1;
    while (unit * 1024 <= raw) unit *= 1024;
    var candidates = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1024];
    for (var i = 0; i < candidates.length; i++) {
      if (unit * candidates[i] >= raw) return unit * candidates[i];
    }
    return unit * 1024;
  }

  function renderChart(history) {
    var chart = $("slab-chart");
    chart.textContent = "";
    var width = Math.max(280, Math.round(chart.getBoundingClientRect().width) || 640);
    var height = 230;
    chart.setAttribute("viewBox", "0 0 " + width + " " + height);
    var points = [];
    history.forEach(function (p) {
      p = obj(p);
      var t = num(p.t), c = num(p.capacityBytes), u = num(p.usedBytes);
      if (t !== null && (c !== null || u !== null)) points.push({ t: t, c: c, u: u });
    });
    points.sort(function (a, b) { return a.t - b.t; });
    if (points.length === 0) {
      svg(chart, "text", { x: width / 2, y: height / 2, "text-anchor": "middle" }, "No history yet");
      return;
    }
    var left = 64, right = 30, top = 10, bottom = 26;
    var plotW = width - left - right, plotH = height - top - bottom;
    var maxY = 0;
    points.forEach(function (p) { maxY = Math.max(maxY, p.c || 0, p.u || 0); });
    if (maxY <= 0) maxY = 1024;
    var step = niceStep(maxY * 1.05, 4);
    var top_ = Math.ceil(maxY * 1.05 / step) * step;
    var t0 = points[0].t, t1 = points[points.length - 1].t;
    if (t1 === t0) { t0 -= 30000; t1 += 30000; }
    function x(t) { return left + (t - t0) / (t1 - t0) * plotW; }
    function y(v) { return top + plotH - v / top_ * plotH; }

    for (var v = 0; v <= top_ + 0.5; v += step) {
      svg(chart, "line", { x1: left, x2: left + plotW, y1: y(v), y2: y(v), "class": "grid-line" });
      svg(chart, "text", { x: left - 8, y: y(v) + 4, "text-anchor": "end" }, bytes(v));
    }
    var xTicks = Math.max(2, Math.min(6, Math.floor(plotW / 110)));
    for (var i = 0; i <= xTicks; i++) {
      var t = t0 + (t1 - t0) * i / xTicks;
      svg(chart, "text", { x: x(t), y: height - 6, "text-anchor": "middle" }, clock(t));
    }

    var cap = points.filter(function (p) { return p.c !== null; });
    var used = points.filter(function (p) { return p.u !== null; });
    if (cap.length > 0) {
      // Capacity changes in steps (the slab grows): draw it as a step line.
      var d = "M" + x(cap[0].t) + "," + y(cap[0].c);
      for (var j = 1; j < cap.length; j++) d += "H" + x(cap[j].t) + "V" + y(cap[j].c);
      svg(chart, "path", { d: d, "class": "capacity" });
      if (cap.length === 1) svg(chart, "circle", { cx: x(cap[0].t), cy: y(cap[0].c), r: 3.5, "class": "dot capacity-dot" });
    }
    if (used.length > 1) {
      var line = used.map(function (p, k) { return (k ? "L" : "M") + x(p.t) + "," + y(p.u); }).join("");
      var area = line + "L" + x(used[used.length - 1].t) + "," + y(0) + "L" + x(used[0].t) + "," + y(0) + "Z";
      svg(chart, "path", { d: area, "class": "used-area" });
      svg(chart, "path", { d: line, "class": "used" });
    }
    if (used.length > 0) {
      var lastPoint = used[used.length - 1];
      svg(chart, "circle", { cx: x(lastPoint.t), cy: y(lastPoint.u), r: 3.5, "class": "dot" });
    }
  }

  // ---- states -----------------------------------------------------------------------------
  function showError(message) {
    setText("error-text", " " + message + (lastOkAt ? " Showing the values of " + clock(lastOkAt) + "." : ""));
    $("error-banner").className = "banner shown";
    $("updated").className = "stale-data";
    setText("updated", lastOkAt ? "Last update " + clock(lastOkAt) + " (stale)" : "No data");
  }
  function clearError() { $("error-banner").className = "banner"; $("updated").className = ""; }
  function showUnauthorized(status) {
    document.body.classList.add("unauthorized");
    $("unauthorized").className = "shown";
    setText("unauthorized-text", (memoryToken ? "The server refused this token" : "The server wants a token") +
      " (HTTP " + status + "). Enter the server's token above, or open this page as /#token=\\u2026");
    setText("updated", "Unauthorized");
    $("updated").className = "stale-data";
  }
  function clearUnauthorized() {
    document.body.classList.remove("unauthorized");
    $("unauthorized").className = "";
  }

  // ---- polling ----------------------------------------------------------------------------
  var inFlight = false;
  function poll() {
    if (inFlight) return;
    inFlight = true;
    clearTimeout(timer);
    var headers = { "Accept": "application/json" };
    if (memoryToken) headers["Authorization"] = "Bearer " + memoryToken;
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var abort = setTimeout(function () { if (controller) controller.abort(); }, 10000);
    fetch("status", { headers: headers, cache: "no-store", signal: controller ? controller.signal : undefined })
      .then(function (response) {
        if (response.status === 401 || response.status === 403) {
          clearError();
          showUnauthorized(response.status);
          return null;
        }
        if (!response.ok) {
          return response.text().then(function (body) {
            throw new Error("HTTP " + response.status + (body ? ": " + body.slice(0, 200) : ""));
          });
        }
        return response.json().then(function (data) {
          last = data;
          lastOkAt = Date.now();
          clearUnauthorized();
          clearError();
          render(data);
          setText("updated", "Updated " + clock(lastOkAt));
        });
      })
      .catch(function (error) {
        var message = error && error.name === "AbortError" ? "The request timed out." :
          (error && error.message ? error.message : String(error));
        showError(message);
      })
      .then(function () {
        clearTimeout(abort);
        inFlight = false;
        timer = setTimeout(poll, POLL_MS);
      });
  }
  function pollNow() { clearTimeout(timer); poll(); }
  window.addEventListener("resize", function () { if (last) renderChart(list(obj(last).history)); });
  render({});
  poll();
})();
</script>
</body>
</html>
`;

// The inspector page: a live list of requests, one request's detail, replay and copy-as-curl.
// Everything a request carries (headers, body, paths, ids) is untrusted: it only ever reaches the
// page as text (textContent, text nodes, attribute values), never as HTML.
"use strict";

// The printed URL carries the API's token once: the page keeps it for this tab and takes it out
// of the address bar (and so out of the browser's history), as Jupyter does.
const token = (() => {
  const given = new URLSearchParams(location.search).get("token");
  if (given) {
    try { sessionStorage.setItem("topgg-int-token", given); } catch (_) { /* storage off: URL only */ }
    try { history.replaceState(null, "", location.pathname); } catch (_) { /* keep the URL */ }
    return given;
  }
  try { return sessionStorage.getItem("topgg-int-token"); } catch (_) { return null; }
})();
const state = { rows: new Map(), selected: null, oldest: null, filters: { type: "", verdict: "", search: "" }, detail: null };
const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v !== null && v !== undefined) node.setAttribute(k, String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
}

function api(path, options) {
  const opts = Object.assign({ headers: {} }, options || {});
  if (token) opts.headers["x-topgg-int-token"] = token;
  return fetch("/_/api/" + path, opts).then(async (r) => {
    const ct = r.headers.get("content-type") || "";
    const body = ct.startsWith("application/json") ? await r.json() : await r.text();
    if (!r.ok) throw new Error((body && body.message) || r.status + " " + r.statusText);
    return body;
  });
}

function query(extra) {
  const p = new URLSearchParams();
  if (state.filters.type) p.set("type", state.filters.type);
  if (state.filters.verdict) p.set("verdict", state.filters.verdict);
  for (const [k, v] of Object.entries(extra || {})) p.set(k, v);
  const s = p.toString();
  return s ? "?" + s : "";
}

function verdictClass(item) {
  // In forward mode the status is the app's: serve's verdict is judged alone (an "ok" the app
  // refused is still serve's ok; the disagreement badge says who is wrong).
  const forwarded = item.forwarded && item.forwarded.status !== undefined && item.forwarded.status !== null;
  if ((!forwarded && item.status >= 400) || (item.verdict && item.verdict !== "ok")) return "bad";
  return "ok";
}

function clock(time) {
  // "2026-02-09T00:47:14.2510149+00:00" → "00:47:14.251"
  const m = /T(\d\d:\d\d:\d\d)(\.\d{3})?/.exec(time || "");
  return m ? m[1] + (m[2] || "") : time;
}

function matches(item) {
  return (!state.filters.type || item.type === state.filters.type) &&
    (!state.filters.verdict || item.verdict === state.filters.verdict) &&
    (!state.filters.search || haystack(item).includes(state.filters.search));
}

// What the search box looks in: the list's own columns and the trace id, lower-cased. It filters
// the requests the page has loaded (and new ones as they arrive), not the whole history.
function haystack(item) {
  return [item.id, item.method, item.path, item.type, item.connection, item.verdict, item.status, item.trace]
    .filter((v) => v !== null && v !== undefined).join(" ").toLowerCase();
}

function row(item) {
  const status = item.forwarded && item.forwarded.status !== undefined && item.forwarded.status !== null
    ? item.status + " (app)" : item.status;
  const tr = el("tr", { "data-id": item.id, tabindex: 0, "aria-selected": "false" },
    el("td", { class: "num dim" }, item.id),
    el("td", {}, clock(item.time)),
    el("td", {}, item.type || item.method + " " + item.path, item.replay_of ? el("span", { class: "dim" }, " ↻" + item.replay_of) : null,
      item.retry ? el("span", { class: "warn" }, " retry") : null),
    el("td", { class: "dim conn", title: item.connection }, item.connection || "–"),
    el("td", { class: "verdict " + verdictClass(item) }, item.verdict,
      item.disagreement ? el("span", { class: "badge bad", title: item.disagreement.message },
        item.disagreement.code === "app-does-not-verify" ? " app skips verification" : " app refuses valid") : null),
    el("td", { class: "num status" }, status),
    el("td", { class: "num dim" }, item.latency_ms.toFixed(1) + " ms"));
  tr.addEventListener("click", () => select(item.id));
  tr.addEventListener("keydown", (e) => {
    if (e.key === "Enter" || e.key === " ") { e.preventDefault(); select(item.id); }
  });
  return tr;
}

function addRow(item, atTop) {
  if (state.rows.has(item.id) || !matches(item)) return;
  const tr = row(item);
  state.rows.set(item.id, tr);
  const body = $("requests");
  if (atTop) {
    tr.classList.add("fresh");
    body.insertBefore(tr, body.firstChild);
  } else {
    body.appendChild(tr);
  }
  $("empty").hidden = true;
}

function loadList(reset) {
  if (reset) {
    clear($("requests"));
    state.rows.clear();
    state.oldest = null;
  }
  const extra = state.oldest ? { before: state.oldest } : {};
  return api("requests" + query(extra)).then((page) => {
    for (const item of page.requests) addRow(item, false);
    state.oldest = page.next_before;
    $("more").hidden = !page.next_before;
    $("empty").hidden = state.rows.size > 0;
  }).catch((e) => setLive("error: " + e.message, false));
}

function setLive(text, on) {
  $("live").textContent = text;
  $("live").classList.toggle("on", !!on);
}

function listen() {
  const es = new EventSource("/_/api/events" + (token ? "?token=" + encodeURIComponent(token) : ""));
  es.addEventListener("open", () => setLive("live", true));
  es.addEventListener("error", () => setLive("reconnecting…", false));
  es.addEventListener("request", (ev) => {
    const item = JSON.parse(ev.data);
    addRow(item, true);
    if (item.connection && item.type && item.type.startsWith("integration.")) loadConnections();
  });
  es.addEventListener("lagged", () => loadList(true));
}

function select(id) {
  if (state.selected !== null && state.rows.has(state.selected)) {
    state.rows.get(state.selected).setAttribute("aria-selected", "false");
  }
  state.selected = id;
  const tr = state.rows.get(id);
  if (tr) {
    tr.setAttribute("aria-selected", "true");
    tr.focus({ preventScroll: true });
    tr.scrollIntoView({ block: "nearest", inline: "start" });
  }
  return api("requests/" + id).then(showDetail).catch((e) => {
    $("placeholder").hidden = false;
    $("placeholder").textContent = "Could not load request " + id + ": " + e.message;
    $("detail").hidden = true;
  });
}

function dl(target, pairs) {
  clear(target);
  for (const [k, v] of pairs) {
    if (v === null || v === undefined) continue;
    target.append(el("dt", {}, k), el("dd", {}, v));
  }
}

function showDetail(d) {
  state.detail = d;
  $("placeholder").hidden = true;
  $("detail").hidden = false;
  $("d-title").textContent = "#" + d.id + "  " + d.method + " " + d.path + "  →  " + d.status +
    (d.replay_of ? "  (replay of #" + d.replay_of + ")" : "");
  // Forward mode: serve's verdict and the app's status disagree; say who is wrong first.
  $("disagreement").hidden = !d.disagreement;
  $("disagreement").textContent = d.disagreement ? d.disagreement.message : "";
  const v = d.verification || {};
  const reason = $("verdict-reason");
  if (v.valid === true) {
    reason.textContent = "✓ valid";
    reason.className = "ok";
  } else if (v.valid === false) {
    reason.textContent = "✗ " + v.reason;
    reason.className = "bad";
  } else {
    reason.textContent = d.verdict;
    reason.className = verdictClass(d);
  }
  $("verdict-detail").textContent = [v.detail || v.note || d.note, d.detail && d.detail !== v.detail ? "(receiver: " + d.detail + ")" : null]
    .filter(Boolean).join(" ");
  const hints = $("hints");
  clear(hints);
  for (const h of v.hints || []) {
    hints.append(el("li", { class: "hint", "data-code": h.code }, el("strong", {}, h.code + ": "), h.explanation,
      h.rejected_by && h.rejected_by.length ? " (rejected by the " + h.rejected_by.join(", ") + " SDKs)" : null));
  }
  if (v.secret) hints.append(el("li", { class: "dim" }, "checked with the " + v.secret.kind + " " + v.secret.masked + " (fingerprint " + v.secret.fingerprint + ")"));
  const s = d.signature;
  dl($("signature"), s ? [["header", s.header], ["t", s.t], ["signed at", s.signed_at],
    ["age at arrival", s.age_at_arrival_s !== undefined ? s.age_at_arrival_s + " s" : null], ["v1", s.v1], ["error", s.error]]
    : [["", "no x-topgg-signature header"]]);
  const problems = $("problems");
  clear(problems);
  const p = d.payload || {};
  if (p.error) problems.append(el("li", { class: "bad" }, p.error));
  for (const pr of p.problems || []) problems.append(el("li", {}, el("code", {}, pr.path), " " + pr.message));
  if (p.problems_total > (p.problems || []).length) {
    problems.append(el("li", { class: "bad" }, "and " + (p.problems_total - p.problems.length) + " more problems (the first " + p.problems.length + " are listed)"));
  }
  if (p.kind && !(p.problems || []).length && !p.error) problems.append(el("li", { class: "ok" }, p.kind + ": no problems"));
  showBody($("body"), d.body, (p.problems || []));
  const f = d.forwarded;
  $("forwarded").hidden = !f;
  if (f) {
    $("fwd-summary").textContent = f.url + " → " + (f.status !== null ? f.status : "no answer") + " in " + f.latency_ms.toFixed(1) + " ms" + (f.error ? ": " + f.error : "");
    const hs = $("fwd-handshake");
    clear(hs);
    if (f.handshake) {
      hs.append(el("li", { class: f.handshake.ok ? "ok" : "bad" }, f.handshake.ok ? "handshake ok" : "handshake failed"));
      if (f.handshake.webhook_url) hs.append(el("li", {}, "the app's webhook_url: ", el("code", {}, f.handshake.webhook_url)));
      for (const x of f.handshake.problems) hs.append(el("li", { class: "bad" }, x));
      for (const x of f.handshake.warnings) hs.append(el("li", { class: "warn" }, x));
    }
    $("fwd-body").textContent = f.body ? f.body.text : "";
  }
  const headers = $("headers");
  clear(headers);
  for (const [n, val] of d.headers || []) headers.append(el("tr", {}, el("td", {}, n), el("td", {}, val)));
  // The page shows secrets masked; the copied command is exact, so its signature verifies.
  $("curl").value = d.curl_view || d.curl || "";
  $("raw").textContent = "";
  $("raw-box").open = false;
  $("raw-link").setAttribute("href", "/_/api/requests/" + d.id + "/raw" + (token ? "?token=" + encodeURIComponent(token) : ""));
  $("action-status").textContent = "";
}

// The JSON path of each line of serde_json's pretty form (`$.data.user.id`), read from the text
// itself so that numbers are never re-parsed (and rounded) by the browser.
function linePaths(lines) {
  const stack = [];
  return lines.map((line) => {
    const m = /^\s*(?:"((?:[^"\\]|\\.)*)":\s)?(.*?),?$/.exec(line);
    const rest = m ? m[2] : "";
    if (rest === "}" || rest === "]") {
      const top = stack.pop();
      return top ? top.path : "$";
    }
    const parent = stack[stack.length - 1];
    let path = "$";
    if (parent) {
      let key = m && m[1] !== undefined ? m[1] : null;
      try { if (key !== null) key = JSON.parse('"' + key + '"'); } catch (_) { /* keep it raw */ }
      path = parent.array ? parent.path + "[" + parent.index++ + "]" : parent.path + "." + key;
    }
    if (rest === "{" || rest === "[") stack.push({ path: path, array: rest === "[", index: 0 });
    return path;
  });
}

// At most this many problems are spelled out on one marked line.
const NOTES_PER_LINE = 5;

// The body as text, with each line a problem is about marked and the problem as its title.
function showBody(pre, body, problems) {
  clear(pre);
  if (!body) return;
  if (!body.json || !problems.length) { pre.textContent = body.text; return; }
  const lines = body.text.split("\n");
  const paths = linePaths(lines);
  // Linear in lines and problems: a set for the lookups, lists joined once, at most a few notes
  // per line (a body with tens of thousands of problems must not freeze the page).
  const known = new Set(paths);
  const notes = new Map();
  for (const pr of problems) {
    // A missing field is marked on the nearest enclosing line that exists.
    let at = pr.path;
    for (let n = 0; n < 32 && !known.has(at); n++) at = at.replace(/(\.[^.[\]]*|\[\d+\])$/, "") || "$";
    let list = notes.get(at);
    if (!list) notes.set(at, (list = { shown: [], more: 0 }));
    if (list.shown.length < NOTES_PER_LINE) list.shown.push(pr.path + " " + pr.message);
    else list.more++;
  }
  const marked = new Set();
  const out = document.createDocumentFragment();
  let plain = [];
  const flush = () => { if (plain.length) { out.append(plain.join("")); plain = []; } };
  lines.forEach((line, i) => {
    const list = notes.get(paths[i]);
    if (list && !marked.has(paths[i])) {
      marked.add(paths[i]);
      const note = list.shown.join("; ") + (list.more ? "; and " + list.more + " more" : "");
      flush();
      out.append(el("mark", { class: "problem", title: note }, line), el("span", { class: "note" }, "  ← " + note), "\n");
    } else {
      plain.push(line + (i < lines.length - 1 ? "\n" : ""));
    }
  });
  flush();
  pre.append(out);
}

function loadRaw() {
  if (!state.detail || $("raw").textContent) return;
  const d = state.detail;
  api("requests/" + d.id + "/raw").then((t) => { $("raw").textContent = d.curl_view === d.curl ? t : maskRaw(t); })
    .catch((e) => { $("raw").textContent = e.message; });
}

function replay(mode) {
  if (!state.detail) return;
  const status = $("action-status");
  status.textContent = "replaying…";
  api("requests/" + state.detail.id + "/replay", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ mode: mode }),
  }).then((r) => {
    status.textContent = "replayed as #" + r.id + " → " + r.status;
  }).catch((e) => { status.textContent = "replay failed: " + e.message; });
}

// /raw is the wire bytes; the page's view masks the secrets in it as the detail does (whs_ab…ef).
function maskSecret(v) {
  return v.length > 8 ? v.slice(0, 6) + "…" + v.slice(-2) : "…";
}

function maskRaw(t) {
  return t.replace(/("webhook_secret"\s*:\s*")((?:[^"\\]|\\.)*)(")/g, (m, a, v, b) => a + maskSecret(v) + b)
    .replace(/^(authorization:[ \t]*)(.*?)(\r?)$/gim, (m, a, v, cr) => a + maskSecret(v) + cr);
}

function copyCurl() {
  const area = $("curl");
  const exact = (state.detail && state.detail.curl) || area.value;
  const done = () => { $("action-status").textContent = "curl command copied (secrets in full)"; };
  const fallback = () => {
    // Select the exact command just long enough to copy it, then show the masked view again.
    const view = area.value;
    area.value = exact;
    area.select();
    let copied = false;
    try { copied = document.execCommand("copy"); } catch (_) { copied = false; }
    area.value = view;
    if (copied) done(); else $("action-status").textContent = "copying failed: use the raw .http link instead";
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(exact).then(done, fallback);
  } else {
    fallback();
  }
}

function loadConnections() {
  api("connections").then((c) => {
    // The empty list's hint: this receiver's real config URL and a command that works as shown.
    if (c.config_url) $("empty-url").textContent = c.config_url;
    if (c.try) $("empty-try").textContent = c.try;
    const t = $("connections");
    clear(t);
    if (!c.connections.length) t.append(el("tr", {}, el("td", {}, "none yet")));
    for (const x of c.connections) {
      t.append(el("tr", { "data-connection": x.connection_id },
        el("td", {}, x.connection_id),
        el("td", {}, (x.user && x.user.name ? x.user.name + " · " : "") + x.webhook_url + " · secret " + x.webhook_secret + " (" + x.webhook_secret_fingerprint + ")")));
    }
  }).catch(() => {});
}

function move(step) {
  const rows = Array.from($("requests").children);
  if (!rows.length) return;
  let i = rows.findIndex((r) => Number(r.dataset.id) === state.selected);
  i = i < 0 ? 0 : Math.max(0, Math.min(rows.length - 1, i + step));
  select(Number(rows[i].dataset.id));
}

document.addEventListener("keydown", (e) => {
  const typing = e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement || e.target instanceof HTMLTextAreaElement;
  if (typing || e.ctrlKey || e.metaKey || e.altKey) return;
  if (e.key === "j" || e.key === "ArrowDown") { e.preventDefault(); move(1); }
  else if (e.key === "k" || e.key === "ArrowUp") { e.preventDefault(); move(-1); }
  else if (e.key === "r") replay("verbatim");
  else if (e.key === "s") replay("resign");
  else if (e.key === "c") copyCurl();
});

document.addEventListener("DOMContentLoaded", () => {
  $("replay-verbatim").addEventListener("click", () => replay("verbatim"));
  $("replay-resign").addEventListener("click", () => replay("resign"));
  $("copy-curl").addEventListener("click", copyCurl);
  $("raw-box").addEventListener("toggle", loadRaw);
  $("more").addEventListener("click", () => loadList(false));
  $("filter-type").addEventListener("change", (e) => { state.filters.type = e.target.value; loadList(true); });
  $("filter-verdict").addEventListener("change", (e) => { state.filters.verdict = e.target.value.trim(); loadList(true); });
  $("filter-search").addEventListener("input", (e) => { state.filters.search = e.target.value.trim().toLowerCase(); loadList(true); });
  $("filter-clear").addEventListener("click", () => {
    $("filter-type").value = "";
    $("filter-verdict").value = "";
    $("filter-search").value = "";
    state.filters = { type: "", verdict: "", search: "" };
    loadList(true);
  });
  listen();
  loadList(true);
  loadConnections();
});

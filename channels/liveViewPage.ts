/**
 * The live view's HTML page: one self-contained document (inline CSS and JS, no external assets,
 * so it works on a closed network) that polls /api/channels and /api/pipelines every second.
 *
 * It shows each channel's put rate (puts per second between two polls), items, time span and
 * bytes; each pipeline's stage rates, drops by reason, errors, queue depth and latency p50/p99;
 * and, for channels with images, the newest image (refreshed when a new one is put) with a link
 * to its MJPEG stream. Names are set as text, never as HTML.
 *
 * @example
 *   res.end(LIVE_VIEW_PAGE); // served at / and /live by channels/liveView.ts
 */

const STYLE = `
body { font: 14px system-ui, sans-serif; margin: 1.5em; color: #222; background: #fafafa; }
h1 { font-size: 1.3em; margin: 0 0 .2em; } h2 { font-size: 1.1em; margin: 1.4em 0 .4em; }
table { border-collapse: collapse; background: #fff; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: right; }
th { background: #eee; } td:first-child, th:first-child { text-align: left; }
#status { color: #666; } #status.err { color: #b00; }
#images { display: flex; flex-wrap: wrap; gap: 12px; }
figure { margin: 0; background: #fff; border: 1px solid #ddd; padding: 6px; }
figure img { display: block; max-width: 480px; min-width: 160px; min-height: 90px; background: #333; }
figcaption { margin-top: 4px; }
`;

const SCRIPT = `
"use strict";
const prev = { channels: new Map(), pipelines: new Map(), at: 0 };
const shown = new Map();
const $ = (id) => document.getElementById(id);
function fmtBytes(n) {
  if (n === null || n === undefined) return "–";
  const u = ["B", "KiB", "MiB", "GiB"]; let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return (i === 0 ? n : n.toFixed(1)) + " " + u[i];
}
function fmtTs(us) { return us === null ? "–" : new Date(us / 1000).toISOString().replace("T", " ").replace("Z", ""); }
function fmtSpan(ms) { return ms === null ? "–" : ms < 1000 ? ms.toFixed(0) + " ms" : (ms / 1000).toFixed(1) + " s"; }
function fmtRate(r) { return r === null ? "–" : r.toFixed(1) + "/s"; }
function fmtMs(s) { return s === null || s === undefined ? "–" : (s * 1000).toFixed(1) + " ms"; }
function row(cells, tag) {
  const tr = document.createElement("tr");
  for (const c of cells) { const td = document.createElement(tag || "td"); td.textContent = String(c); tr.appendChild(td); }
  return tr;
}
function table(id, head, rows) {
  const t = $(id); t.replaceChildren(row(head, "th"));
  for (const r of rows) t.appendChild(r);
}
function rate(map, key, value, dt) {
  const old = map.get(key); map.set(key, value);
  return old === undefined || dt <= 0 ? null : Math.max(0, value - old) / dt;
}
function images(channels) {
  const box = $("images");
  const names = new Set(channels.filter((c) => c.image).map((c) => c.name));
  for (const [name, fig] of shown) if (!names.has(name)) { fig.remove(); shown.delete(name); }
  for (const c of channels) {
    if (!c.image) continue;
    let fig = shown.get(c.name);
    const base = "/channels/" + encodeURIComponent(c.name) + "/";
    if (!fig) {
      fig = document.createElement("figure");
      const img = document.createElement("img"); img.alt = c.name; img.dataset.channel = c.name;
      const cap = document.createElement("figcaption");
      const label = document.createElement("span"); label.textContent = c.name + " ";
      const a = document.createElement("a"); a.href = base + "stream.mjpeg"; a.target = "_blank"; a.textContent = "live stream";
      cap.append(label, a); fig.append(img, cap); box.appendChild(fig); shown.set(c.name, fig);
    }
    const img = fig.querySelector("img");
    if (c.newest !== null && img.dataset.ts !== String(c.newest)) {
      img.dataset.ts = String(c.newest);
      img.src = base + "latest.jpg?ts=" + c.newest;
    }
  }
}
async function poll() {
  try {
    const [ch, pl] = await Promise.all([fetch("/api/channels").then((r) => r.json()), fetch("/api/pipelines").then((r) => r.json())]);
    const at = performance.now() / 1000; const dt = prev.at ? at - prev.at : 0; prev.at = at;
    table("channels", ["channel", "codec", "puts/s", "items", "oldest", "newest", "span", "window bytes", "stored bytes"],
      ch.channels.map((c) => row([c.name, c.codec, fmtRate(rate(prev.channels, c.name, c.puts, dt)), c.items, fmtTs(c.oldest), fmtTs(c.newest), fmtSpan(c.spanMs), fmtBytes(c.windowBytes), fmtBytes(c.storedBytes)])));
    table("pipelines", ["pipeline", "sense/s", "prioritize/s", "process/s", "events/s", "actuate/s", "dropped (stale, shed)", "errors", "queue", "process p50 / p99", "end-to-end p50 / p99"],
      pl.pipelines.map((p) => {
        const r = (stage, v) => fmtRate(rate(prev.pipelines, p.name + "/" + stage, v, dt));
        const s = p.stages;
        return row([p.name, r("sense", s.sense.out), r("prioritize", s.prioritize.out), r("process", s.process.in), r("events", s.process.out), r("actuate", s.actuate.in),
          Object.entries(p.dropped).filter((e) => e[1] > 0).map(([k, v]) => k + " " + v).join(", ") || "0",
          Object.entries(p.errors).filter((e) => e[1] > 0).map(([k, v]) => k + " " + v).join(", ") || "0",
          p.queueDepth, fmtMs(p.process.p50) + " / " + fmtMs(p.process.p99), fmtMs(p.endToEnd.p50) + " / " + fmtMs(p.endToEnd.p99)]);
      }));
    images(ch.channels);
    $("status").className = ""; $("status").textContent = "updated " + new Date().toLocaleTimeString();
  } catch (err) {
    $("status").className = "err"; $("status").textContent = "cannot reach the runtime: " + err;
  }
}
poll(); setInterval(poll, 1000);
`;

export const LIVE_VIEW_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>PTS live view</title>
<style>${STYLE}</style>
</head>
<body>
<h1>PTS live view</h1>
<div id="status">loading…</div>
<h2>Cameras and snapshots</h2>
<div id="images"></div>
<h2>Channels</h2>
<table id="channels"></table>
<h2>Pipelines</h2>
<table id="pipelines"></table>
<p><a href="/metrics">/metrics</a> · <a href="/api/channels">/api/channels</a> · <a href="/api/pipelines">/api/pipelines</a></p>
<script>${SCRIPT}</script>
</body>
</html>
`;

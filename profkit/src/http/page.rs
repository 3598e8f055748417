//! The page at `/` and `/debug/pprof/`: the top table (sortable, refreshed from a window),
//! the flame graph, the threads and the memory table, with links to every endpoint. One HTML
//! file, its script inline: it loads nothing from elsewhere and works offline.

use std::fmt::Write as _;

use crate::model::Report;
use crate::views::SortKey;

/// The rows of the top table as JSON: the `limit` functions of most cumulative time.
pub(crate) fn top_json(report: &Report, limit: usize, seconds: Option<u64>) -> String {
    let mut functions: Vec<_> = report.functions().collect();
    functions.sort_by(|a, b| b.cumtime().cmp(&a.cumtime()).then(a.name().cmp(b.name())));
    let rows: Vec<serde_json::Value> = functions
        .iter()
        .take(limit)
        .map(|f| {
            serde_json::json!({
                "name": f.name(),
                "file": f.file(),
                "line": f.line(),
                "ncalls": f.ncalls(),
                "pcalls": f.primitive_calls(),
                "tottime_ns": u64::try_from(f.tottime().as_nanos()).unwrap_or(u64::MAX),
                "cumtime_ns": u64::try_from(f.cumtime().as_nanos()).unwrap_or(u64::MAX),
                "p99_ns": f.latency().map(|l| u64::try_from(l.p99().as_nanos()).unwrap_or(u64::MAX)),
                "bytes": f.memory().map(|m| m.bytes()),
                "live_bytes": f.memory().map(|m| m.live_bytes()),
            })
        })
        .collect();
    serde_json::json!({ "seconds": seconds, "functions": report.len(), "rows": rows }).to_string()
}

fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// The page, its first table from the whole run so far.
pub(crate) fn render(report: &Report) -> String {
    // In a <script> element, `</` would end it early.
    let data = top_json(report, 50, None).replace("</", "<\\/");
    let memory = if report.has_memory() {
        escape_html(
            &report
                .memory()
                .sort(SortKey::LiveBytes)
                .limit(Some(30))
                .to_string(),
        )
    } else {
        "No memory figures: build with profkit's cargo feature `memory` and install \
         `#[global_allocator] static ALLOC: profkit::Alloc = profkit::Alloc::system();`."
            .to_owned()
    };
    let mut page = String::with_capacity(PAGE.len() + data.len() + memory.len());
    let _ = write!(
        page,
        "{}",
        PAGE.replace("@DATA@", &data).replace("@MEMORY@", &memory)
    );
    page
}

const PAGE: &str = r##"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>profkit</title>
<style>
body{font:14px system-ui,sans-serif;margin:1em 2em;color:#222}
table{border-collapse:collapse}th,td{padding:2px 8px;text-align:right;border-bottom:1px solid #ddd}
th{cursor:pointer;background:#f4f4f4;user-select:none}td.name,th.name{text-align:left;font-family:monospace}
pre{background:#f8f8f8;padding:8px;overflow:auto;max-height:30em}
object{width:100%;min-height:300px;border:1px solid #ddd}
#status{color:#666}
</style></head><body>
<h1>profkit</h1>
<p>Endpoints:
<a href="/debug/pprof/profile?seconds=30">/debug/pprof/profile?seconds=30</a> (pprof) &middot;
<a href="/debug/pprof/heap">/debug/pprof/heap</a> &middot;
<a href="/debug/pprof/allocs">/debug/pprof/allocs</a> &middot;
<a href="/debug/profkit/report">/debug/profkit/report</a>
(<a href="/debug/profkit/report?format=json">json</a>, <a href="/debug/profkit/report?format=prof">prof</a>,
<a href="/debug/profkit/report?format=folded">folded</a>, <a href="/debug/profkit/report?format=svg">svg</a>,
<a href="/debug/profkit/report?format=pprof">pprof</a>) &middot;
<a href="/debug/profkit/threads">/debug/profkit/threads</a> &middot;
<a href="/metrics">/metrics</a></p>
<h2>Top functions <span id="status">(the whole run)</span></h2>
<table id="top"><thead><tr>
<th data-key="name" class="name">function</th><th data-key="ncalls">ncalls</th><th data-key="pcalls">primitive</th>
<th data-key="tottime_ns">tottime (ms)</th><th data-key="cumtime_ns">cumtime (ms)</th><th data-key="p99_ns">p99 (µs)</th>
<th data-key="bytes">bytes</th><th data-key="live_bytes">live bytes</th></tr></thead><tbody></tbody></table>
<h2>Flame graph</h2>
<object type="image/svg+xml" data="/debug/profkit/report?format=svg">flame graph</object>
<h2>Threads</h2>
<pre id="threads">loading…</pre>
<h2>Memory</h2>
<pre id="memory">@MEMORY@</pre>
<script id="data" type="application/json">@DATA@</script>
<script>
"use strict";
let rows = JSON.parse(document.getElementById("data").textContent).rows;
let key = "cumtime_ns", down = true;
const ms = v => v == null ? "" : (v / 1e6).toFixed(3);
const us = v => v == null ? "" : (v / 1e3).toFixed(3);
const cells = {tottime_ns: ms, cumtime_ns: ms, p99_ns: us};
function draw() {
  const sorted = rows.slice().sort((a, b) => {
    const x = a[key], y = b[key];
    const c = typeof x === "string" ? x.localeCompare(y) : (x ?? -1) - (y ?? -1);
    return down ? -c : c;
  });
  const body = document.querySelector("#top tbody");
  body.replaceChildren(...sorted.map(r => {
    const tr = document.createElement("tr");
    for (const k of ["name", "ncalls", "pcalls", "tottime_ns", "cumtime_ns", "p99_ns", "bytes", "live_bytes"]) {
      const td = document.createElement("td");
      if (k === "name") { td.className = "name"; td.title = r.file + ":" + r.line; }
      td.textContent = cells[k] ? cells[k](r[k]) : (r[k] ?? "");
      tr.appendChild(td);
    }
    return tr;
  }));
}
document.querySelectorAll("#top th").forEach(th => th.addEventListener("click", () => {
  down = th.dataset.key === key ? !down : th.dataset.key !== "name";
  key = th.dataset.key;
  draw();
}));
draw();
const WINDOW = 5;
async function refresh() {
  try {
    const r = await fetch("/debug/profkit/top?seconds=" + WINDOW);
    if (r.ok) {
      rows = (await r.json()).rows;
      document.getElementById("status").textContent = "(the last " + WINDOW + " s, at " + new Date().toLocaleTimeString() + ")";
      draw();
    }
  } catch (e) {
    await new Promise(ok => setTimeout(ok, WINDOW * 1000));
  }
  refresh();
}
async function threads() {
  try {
    const r = await fetch("/debug/profkit/threads");
    document.getElementById("threads").textContent = await r.text();
  } catch (e) {}
  setTimeout(threads, WINDOW * 1000);
}
threads();
refresh();
</script></body></html>
"##;

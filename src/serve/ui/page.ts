/**
 * The timeline page's HTML and CSS, built into the package (no CDN, no network): served by serve's
 * admin listener at /ui/. The script is in app-script.ts.
 */
export const pageHtml = String.raw`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>istio-wasm serve — exchanges</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="app.css">
</head>
<body>
<header>
  <h1>istio-wasm serve</h1>
  <span id="status" class="muted">connecting…</span>
  <span class="spacer"></span>
  <span class="muted">the last 200 exchanges, newest first</span>
</header>
<main>
  <section id="list-pane">
    <table id="exchanges">
      <thead><tr><th>#</th><th>time</th><th>method</th><th>path</th><th>status</th><th>ms</th><th>answered by</th></tr></thead>
      <tbody></tbody>
    </table>
    <p id="empty" class="muted">No exchanges yet: send a request through serve.</p>
  </section>
  <section id="detail-pane"><p class="muted">Select an exchange to see what each plugin did.</p></section>
</main>
<script src="app.js"></script>
</body>
</html>
`;

export const pageCss = String.raw`
:root { --fg: #1d2433; --muted: #6b7385; --line: #dde1ea; --bg: #f7f8fb; --accent: #3b5bdb; --add: #e6f6ea; --del: #fdecec; --chg: #fff6db; --trap: #c92a2a; }
* { box-sizing: border-box; }
body { margin: 0; font: 13px/1.4 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; align-items: center; gap: 12px; padding: 8px 16px; background: #fff; border-bottom: 1px solid var(--line); }
header h1 { font-size: 15px; margin: 0; }
.spacer { flex: 1; }
.muted { color: var(--muted); }
main { display: grid; grid-template-columns: minmax(420px, 40%) 1fr; height: calc(100vh - 42px); }
#list-pane { overflow: auto; border-right: 1px solid var(--line); background: #fff; }
#detail-pane { overflow: auto; padding: 12px 16px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { position: sticky; top: 0; background: #fff; font-weight: 600; }
#exchanges tbody tr { cursor: pointer; }
#exchanges tbody tr:hover { background: #eef2ff; }
#exchanges tbody tr.selected { background: #dbe4ff; }
td.path { max-width: 260px; overflow: hidden; text-overflow: ellipsis; }
.s2 { color: #2b8a3e; } .s3 { color: #1971c2; } .s4 { color: #e67700; } .s5 { color: var(--trap); }
h2 { font-size: 15px; margin: 4px 0 8px; }
h3 { font-size: 13px; margin: 16px 0 6px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; margin-bottom: 10px; }
.timeline { position: relative; height: 26px; background: repeating-linear-gradient(90deg, #fff 0 49px, #f1f3f5 49px 50px); border: 1px solid var(--line); border-radius: 4px; margin: 6px 0; }
.bar { position: absolute; top: 3px; height: 18px; min-width: 3px; border-radius: 3px; background: var(--accent); opacity: .85; }
.bar.trap { background: var(--trap); }
.bar.pause { background: #f59f00; }
.callbacks { width: 100%; }
.callbacks td { vertical-align: top; white-space: normal; }
.callbacks td.cb { font-family: ui-monospace, monospace; white-space: nowrap; }
.calls { margin: 2px 0 0 0; padding-left: 16px; font-family: ui-monospace, monospace; font-size: 12px; color: #343a40; }
.diff td { font-family: ui-monospace, monospace; font-size: 12px; white-space: normal; word-break: break-all; }
tr.diff-added { background: var(--add); } tr.diff-removed { background: var(--del); } tr.diff-changed { background: var(--chg); }
.trap-box { border-color: var(--trap); }
.trap-box pre { color: var(--trap); margin: 4px 0; }
pre { white-space: pre-wrap; word-break: break-all; font-size: 12px; }
.log-warn { color: #e67700; } .log-error, .log-critical { color: var(--trap); }
.note { color: #e67700; }
`;

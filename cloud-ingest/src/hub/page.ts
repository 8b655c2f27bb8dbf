/**
 * The hub page: one self-contained HTML document (inline CSS and script, no external
 * assets) that polls the /api/hub endpoints. The chart is an inline SVG drawn by
 * page-script.ts; its <svg> carries data-count / data-last-ts / data-last-value and one
 * <circle data-ts data-value> per sample (up to 400) so tests and scrapers can read it.
 */
import { PAGE_FORMAT_SCRIPT } from '@ganzhi/device-profiles';
import { COMMAND_SCRIPT } from './command-script.js';
import { FLEET_PAGE_SCRIPT } from './fleet-page-script.js';
import { FLEET_SCRIPT } from './fleet-script.js';
import { OPERATOR_SCRIPT } from './operator-script.js';
import { PAGE_SCRIPT } from './page-script.js';

const STYLE = `
:root { --bg:#f5f6f8; --card:#fff; --ink:#1d2330; --mute:#667085; --line:#d9dde5;
  --ok:#12805c; --warn:#b7791f; --bad:#c0362c; --unk:#8a94a6; --accent:#2457c5; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans CJK SC",
  "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", "WenQuanYi Micro Hei", sans-serif;
  background:var(--bg); color:var(--ink); }
header { display:flex; flex-wrap:wrap; align-items:baseline; gap:1.5rem; padding:.8rem 1.2rem; background:#1d2330; color:#fff; }
header h1 { margin:0; font-size:1.15rem; font-weight:600; }
header .tot { display:flex; gap:1.2rem; flex-wrap:wrap; font-size:.9rem; }
header .tot b { font-size:1.05rem; }
header .upd { margin-left:auto; color:#b9c0cc; font-size:.8rem; }
main { padding:1rem 1.2rem; display:grid; gap:1rem; }
#alert { display:none; padding:.6rem .9rem; background:#fde8e6; border:1px solid var(--bad); color:var(--bad); border-radius:6px; }
#alert.show { display:block; }
#districts { display:grid; gap:1rem; grid-template-columns:repeat(auto-fit, minmax(420px, 1fr)); }
.card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:.8rem 1rem; }
.card h2 { margin:0 0 .5rem; font-size:1.05rem; }
.stats { display:flex; flex-wrap:wrap; gap:.4rem 1.2rem; margin-bottom:.6rem; }
.stat { display:flex; flex-direction:column; }
.stat .k { color:var(--mute); font-size:.75rem; text-transform:uppercase; letter-spacing:.03em; }
.stat .v { font-size:1rem; font-variant-numeric:tabular-nums; }
.pill { display:inline-block; padding:0 .45rem; border-radius:999px; font-size:.78rem; font-weight:600; color:#fff; margin-right:.25rem; }
.s-online, .s-up { background:var(--ok); } .s-degraded { background:var(--warn); }
.s-offline, .s-down { background:var(--bad); } .s-unknown { background:var(--unk); }
.s-zero { background:#e4e7ec; color:var(--mute); }
table { width:100%; border-collapse:collapse; font-variant-numeric:tabular-nums; }
th, td { text-align:left; padding:.25rem .4rem; border-top:1px solid var(--line); white-space:nowrap; }
th { color:var(--mute); font-weight:500; font-size:.78rem; }
.low { color:var(--bad); font-weight:600; }
.picker { display:flex; flex-wrap:wrap; gap:.6rem; align-items:end; margin-bottom:.6rem; }
.picker label { display:flex; flex-direction:column; font-size:.75rem; color:var(--mute); }
.picker select { min-width:9rem; padding:.25rem; font:inherit; }
#chart { width:100%; height:280px; display:block; }
#chart .axis { stroke:var(--line); } #chart .grid { stroke:#eef0f4; }
#chart .line { fill:none; stroke:var(--accent); stroke-width:2; }
#chart circle { fill:var(--accent); }
#chart text { fill:var(--mute); font-size:11px; }
#chartinfo { color:var(--mute); font-size:.85rem; min-height:1.2em; }
.empty { color:var(--mute); font-style:italic; }
#zone { color:#b9c0cc; font-size:.8rem; }
.card.has-down { border-left:4px solid var(--bad); } .card.has-degraded { border-left:4px solid var(--warn); }
table.attention { margin:.2rem 0 .6rem; } table.attention caption { text-align:left; font-weight:600; color:var(--bad); font-size:.85rem; padding:.2rem 0; }
table.attention td.err { color:var(--bad); white-space:normal; }
.trendbox { margin:.2rem 0 .6rem; } .trendbox .k { color:var(--mute); font-size:.75rem; }
svg.trend { width:100%; height:64px; display:block; } svg.trend .axis { stroke:var(--line); }
#controls { display:grid; gap:.5rem; }
.ctl { display:flex; flex-wrap:wrap; align-items:center; gap:.5rem .8rem; padding:.3rem 0; border-top:1px solid var(--line); }
.ctl label { min-width:9rem; font-weight:600; }
.ctl input[type=number] { width:7rem; padding:.25rem; font:inherit; }
.ctl input[role=switch] { appearance:none; width:2.6rem; height:1.4rem; border-radius:999px; background:#c5cad3; position:relative; cursor:pointer; margin:0; }
.ctl input[role=switch]::after { content:''; position:absolute; top:.15rem; left:.15rem; width:1.1rem; height:1.1rem; border-radius:50%; background:#fff; transition:left .15s; }
.ctl input[role=switch]:checked { background:var(--ok); } .ctl input[role=switch]:checked::after { left:1.35rem; }
.ctl input:focus-visible, .ctl button:focus-visible, dialog button:focus-visible, dialog input:focus-visible { outline:3px solid var(--accent); outline-offset:2px; }
.ctl .range, .ctl .current { color:var(--mute); font-size:.85rem; }
.outcome { font-size:.9rem; } .o-ok { color:var(--ok); font-weight:600; } .o-pending, .o-sending { color:var(--mute); }
.o-rejected, .o-forbidden, .o-error, .o-invalid, .o-timeout, .o-expired, .o-device-exception, .o-readback-mismatch, .o-interrupted, .o-no-answer, .o-login { color:var(--bad); font-weight:600; }
dialog { border:1px solid var(--line); border-radius:8px; padding:1rem 1.2rem; max-width:34rem; }
dialog::backdrop { background:rgba(29,35,48,.45); }
dialog h2 { margin:0 0 .6rem; font-size:1.05rem; }
dialog label { display:flex; flex-direction:column; gap:.2rem; margin:.4rem 0; font-size:.85rem; color:var(--mute); }
dialog input { font:inherit; padding:.3rem; }
dialog .buttons { display:flex; justify-content:flex-end; gap:.6rem; margin-top:.8rem; }
button { font:inherit; padding:.3rem .8rem; border-radius:6px; border:1px solid var(--line); background:#fff; cursor:pointer; }
button.primary { background:var(--accent); border-color:var(--accent); color:#fff; }
#fleet .picker { align-items:center; }
#fleet-summary, #fleet-note { color:var(--mute); font-size:.85rem; }
table.fleet td.why { white-space:normal; max-width:28rem; } table.fleet ul.problems { margin:.2rem 0 0; padding-left:1.1rem; }
.y-applied { background:var(--ok); } .y-pending { background:var(--warn); } .y-rejected, .y-rolled-back { background:var(--bad); }
.y-unmanaged { background:#e4e7ec; color:var(--mute); }
#fleet-editor { border-top:1px solid var(--line); margin-top:.6rem; padding-top:.4rem; }
#fleet-editor h3 { margin:.2rem 0; font-size:1rem; } #fleet-editor .meta { color:var(--mute); margin:.2rem 0 .4rem; }
#fleet-editor .doclabel { display:block; font-weight:600; margin:.4rem 0 .2rem; }
#fleet-editor textarea { width:100%; font:13px/1.35 ui-monospace, "Noto Sans Mono CJK SC", monospace; padding:.4rem; }
#fleet-editor .buttons { display:flex; gap:.6rem; margin:.4rem 0; }
#fleet-history { margin:.2rem 0; padding-left:1.2rem; color:var(--mute); font-size:.85rem; } #fleet-history .h-rejected, #fleet-history .h-rolled-back { color:var(--bad); }
#fleet-editor input:focus-visible, #fleet-editor textarea:focus-visible, #fleet button:focus-visible { outline:3px solid var(--accent); outline-offset:2px; }
.o-applied { color:var(--ok); font-weight:600; } .o-applying, .o-confirming, .o-cancelled { color:var(--mute); }
.o-refused, .o-rolled-back, .o-superseded { color:var(--bad); font-weight:600; }
svg.trend .okbar { fill:var(--ok); } svg.trend .lowbar { fill:var(--bad); } svg.trend text { fill:var(--mute); font-size:10px; }
`;

export function renderHubPage(cfg: { refreshMs: number; windowMs: number }): string {
  const json = JSON.stringify(cfg).replaceAll('<', '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Ganzhi 感知 hub</title>
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1>Ganzhi 感知 — hub</h1>
  <div class="tot" id="totals"></div>
  <div class="upd"><span id="updated">loading…</span> · <span id="zone"></span></div>
</header>
<main>
  <div id="alert" role="alert"></div>
  <section id="districts" aria-label="Districts"></section>
  <section class="card" aria-label="Live chart">
    <h2>Live chart</h2>
    <div class="picker">
      <label>District <select id="sel-district"></select></label>
      <label>Gateway <select id="sel-gateway"></select></label>
      <label>Device <select id="sel-device"></select></label>
      <label>Point <select id="sel-point"></select></label>
      <label>Window <select id="sel-span">
        <option value="300000">5 min</option><option value="600000" selected>10 min</option>
        <option value="3600000">1 h</option><option value="21600000">6 h</option>
      </select></label>
    </div>
    <svg id="chart" viewBox="0 0 900 280" preserveAspectRatio="none" role="img" aria-label="chart of the chosen point" data-count="0"></svg>
    <div id="chartinfo"></div>
  </section>
  <section class="card" aria-labelledby="controls-title">
    <h2 id="controls-title">Set points of the chosen device</h2>
    <div id="controls"><p class="empty">Pick a device to see the points you can set.</p></div>
  </section>
  <section class="card" id="fleet" aria-labelledby="fleet-title">
    <h2 id="fleet-title">Fleet configuration</h2>
    <div class="picker">
      <label>Show <select id="fleet-filter">
        <option value="all">all gateways</option><option value="attention">lagging or failed</option>
        <option value="lagging">lagging (push pending)</option><option value="failed">failed (rejected, rolled back)</option>
      </select></label>
      <label>Label <select id="fleet-label"><option value="">any label</option></select></label>
      <button type="button" id="fleet-signin">Sign in to see the fleet</button>
      <span id="fleet-summary"></span> <span id="fleet-note" role="status"></span>
    </div>
    <div id="fleet-list"></div>
    <div id="fleet-editor" hidden></div>
  </section>
</main>
<dialog id="dlg-fleet" aria-labelledby="fleet-confirm-title" aria-describedby="fleet-confirm-text">
  <h2 id="fleet-confirm-title">Push this configuration?</h2>
  <p id="fleet-confirm-text"></p>
  <div class="buttons"><button type="button" id="fleet-confirm-cancel" autofocus>Cancel</button>
    <button type="button" id="fleet-confirm-push" class="primary">Push configuration</button></div>
</dialog>
<dialog id="dlg-confirm" aria-labelledby="confirm-title" aria-describedby="confirm-text">
  <h2 id="confirm-title">Send this command?</h2>
  <p id="confirm-text"></p>
  <div class="buttons"><button type="button" id="confirm-cancel" autofocus>Cancel</button>
    <button type="button" id="confirm-send" class="primary">Send command</button></div>
</dialog>
<dialog id="dlg-login" aria-labelledby="login-title">
  <form id="login-form">
    <h2 id="login-title">Operator sign-in</h2>
    <p id="login-msg" role="alert"></p>
    <label>Operator name <input id="login-name" name="username" autocomplete="username" required></label>
    <label>Password <input id="login-pass" name="password" type="password" autocomplete="current-password" required></label>
    <div class="buttons"><button type="button" id="login-cancel">Cancel</button>
      <button type="submit" class="primary">Sign in</button></div>
  </form>
</dialog>
<script type="application/json" id="cfg">${json}</script>
<script>${PAGE_FORMAT_SCRIPT}</script>
<script>${COMMAND_SCRIPT}</script>
<script>${OPERATOR_SCRIPT}</script>
<script>${FLEET_SCRIPT}</script>
<script>${PAGE_SCRIPT}</script>
<script>${FLEET_PAGE_SCRIPT}</script>
</body>
</html>
`;
}

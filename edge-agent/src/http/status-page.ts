/**
 * The field engineer's status page: one self-contained HTML document (no external assets,
 * works on a gateway with no internet) that polls /api/devices once a second.
 */
export const STATUS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Ganzhi gateway</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; background: #f4f5f7; color: #1d2125; }
  header { background: #1d2125; color: #fff; padding: 10px 16px; display: flex; gap: 24px; align-items: baseline; flex-wrap: wrap; }
  header h1 { font-size: 18px; margin: 0; }
  main { padding: 12px 16px; }
  .card { background: #fff; border-radius: 6px; box-shadow: 0 1px 2px #0002; margin: 0 0 12px; padding: 10px 12px; }
  .badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-weight: 600; font-size: 12px; }
  .up, .good, .connected { background: #dcfce7; color: #166534; }
  .degraded, .uncertain { background: #fef9c3; color: #854d0e; }
  .down, .bad, .offline { background: #fee2e2; color: #991b1b; }
  .unknown { background: #e5e7eb; color: #374151; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid #eee; font-variant-numeric: tabular-nums; }
  td.raw { font-family: ui-monospace, monospace; color: #555; }
  .meter { height: 8px; background: #e5e7eb; border-radius: 4px; width: 200px; display: inline-block; vertical-align: middle; }
  .meter > span { display: block; height: 100%; background: #2563eb; border-radius: 4px; }
  .muted { color: #6b7280; }
</style>
</head>
<body>
<header><h1>Ganzhi gateway <span id="gw"></span></h1><span id="uplink"></span><span id="updated" class="muted"></span></header>
<main>
  <section class="card" id="buffer"></section>
  <section id="devices"></section>
</main>
<script>
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const fmt = (v) => v === null || v === undefined ? '—' : typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(3)) : String(v);
const hex = (raw) => raw ? raw.map((w) => w.toString(16).padStart(4, '0')).join(' ') : '';
function render(s) {
  $('gw').textContent = s.district + ' / ' + s.gateway;
  const u = s.uplink;
  $('uplink').innerHTML = u ? '<span class="badge ' + (u.connected ? 'connected' : 'offline') + '" id="uplink-state">' + (u.connected ? 'uplink connected' : 'uplink offline: buffering') + '</span>' : '<span class="badge unknown">no uplink (stdout)</span>';
  $('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
  if (u) {
    const fill = u.bufferMaxBytes ? Math.min(100, (100 * u.bufferBytes) / u.bufferMaxBytes) : 0;
    $('buffer').innerHTML = '<b>Buffer</b> ' + u.backlog + ' batches, ' + (u.bufferBytes / 1024).toFixed(1) + ' KiB' +
      (u.bufferMaxBytes ? ' <span class="meter" title="' + fill.toFixed(1) + '%"><span style="width:' + fill + '%"></span></span> ' + fill.toFixed(1) + '%' : '') +
      ' · oldest ' + (u.oldestAgeMs / 1000).toFixed(0) + ' s · dropped <b id="dropped">' + u.dropped + '</b> · reconnects ' + u.reconnects;
  } else $('buffer').textContent = 'Readings go to standard output (no buffer).';
  $('devices').innerHTML = s.devices.map((d) =>
    '<section class="card device" data-device="' + esc(d.id) + '"><div><b>' + esc(d.id) + '</b> <span class="badge ' + esc(d.state) + ' state">' + esc(d.state) + '</span> ' +
    '<span class="muted">' + esc(d.model) + ' · ' + esc(d.endpoint) + (d.unitId !== undefined ? ' unit ' + d.unitId : '') + ' · every ' + d.pollIntervalMs + ' ms · cycles ' + d.counters.cycles +
    ' · errors ' + d.counters.errors + ' · timeouts ' + d.counters.timeouts + ' · overruns ' + d.counters.overruns + '</span>' +
    (d.lastError ? ' <span class="badge bad">' + esc(d.lastError) + '</span>' : '') + '</div>' +
    '<table><thead><tr><th>point</th><th>value</th><th>unit</th><th>quality</th><th>raw</th><th>address</th><th>age</th></tr></thead><tbody>' +
    d.points.map((p) => '<tr data-point="' + esc(p.name) + '"><td>' + esc(p.name) + '</td><td class="value">' + esc(fmt(p.value)) + '</td><td>' + esc(p.unit) +
      '</td><td><span class="badge ' + esc(p.quality) + '">' + esc(p.quality) + '</span>' + (p.reason ? ' <span class="muted">' + esc(p.reason) + '</span>' : '') +
      '</td><td class="raw">' + hex(p.raw) + '</td><td class="muted">' + esc(p.address || '') + '</td><td class="muted">' +
      (p.ts ? ((Date.now() - p.ts) / 1000).toFixed(1) + ' s' : '') + '</td></tr>').join('') +
    '</tbody></table></section>').join('');
}
async function tick() {
  try { const r = await fetch('api/devices'); if (r.ok) render(await r.json()); } catch (e) { $('updated').textContent = 'agent unreachable'; }
  setTimeout(tick, 1000);
}
tick();
</script>
</body>
</html>
`;

/**
 * The field engineer's status page: one self-contained HTML document (no external assets,
 * works on a gateway with no internet) that polls /api/devices once a second.
 *
 * What it must make obvious: which device is down or degraded (a count in the header, those
 * devices first, a red or amber edge), each value as a person reads it (the unit's symbol —
 * °C, kWh, ppb — and the point's own number of decimals, from the server), and when (24-hour
 * clock, the time zone named once in the header, the same format as the hub page).
 *
 * The script builds the DOM with textContent (never HTML from the API) from small renderers —
 * `deviceCard`, `pointRow`, one cell per column — so a column or a control (a write button
 * for a read-write point) is one more cell in `pointRow`.
 */
import { PAGE_FORMAT_SCRIPT } from '@ganzhi/device-profiles';

const STYLE = `
  body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans CJK SC",
    "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif; margin: 0; background: #f4f5f7; color: #1d2125; }
  header { background: #1d2125; color: #fff; padding: 10px 16px; display: flex; gap: 12px 24px; align-items: baseline; flex-wrap: wrap; }
  header h1 { font-size: 18px; margin: 0; }
  header .counts { display: flex; gap: 6px; }
  header .zone { color: #b9c0cc; font-size: 12px; margin-left: auto; }
  main { padding: 12px 16px; }
  .card { background: #fff; border-radius: 6px; box-shadow: 0 1px 2px #0002; margin: 0 0 12px; padding: 10px 12px; border-left: 4px solid transparent; }
  .card.s-down { border-left-color: #dc2626; } .card.s-degraded { border-left-color: #d97706; } .card.s-unknown { border-left-color: #9ca3af; }
  .badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-weight: 600; font-size: 12px; }
  .up, .good, .connected { background: #dcfce7; color: #166534; }
  .degraded, .uncertain { background: #fef9c3; color: #854d0e; }
  .down, .bad, .offline { background: #fee2e2; color: #991b1b; }
  .unknown, .zero { background: #e5e7eb; color: #374151; }
  table { border-collapse: collapse; margin-top: 4px; }
  summary.allbad { color: #991b1b; cursor: pointer; margin-top: 4px; }
  th, td { text-align: left; padding: 3px 8px; border-bottom: 1px solid #eee; font-variant-numeric: tabular-nums; }
  th { color: #6b7280; font-weight: 500; font-size: 12px; }
  td.value { text-align: right; font-weight: 600; min-width: 5em; }
  th.value { text-align: right; }
  td.unit { color: #374151; }
  td.raw, td.address { font-family: ui-monospace, monospace; font-size: 12px; color: #555; }
  .meter { height: 8px; background: #e5e7eb; border-radius: 4px; width: 200px; display: inline-block; vertical-align: middle; }
  .meter > span { display: block; height: 100%; background: #2563eb; border-radius: 4px; }
  .muted { color: #6b7280; }
`;

const SCRIPT = `
(function () {
  'use strict';
  var F = gzFormat;
  var ORDER = { down: 0, degraded: 1, unknown: 2, up: 3 };
  /** folded point tables the engineer opened, by device: kept across refreshes */
  var openDetails = {};
  function $(id) { return document.getElementById(id); }
  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) {
      if (k === 'text') e.textContent = attrs[k]; else if (attrs[k] !== undefined) e.setAttribute(k, String(attrs[k]));
    });
    (children || []).forEach(function (c) { if (c) e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return e;
  }
  function badge(cls, text, extra) { return el('span', { class: 'badge ' + cls + (extra ? ' ' + extra : ''), text: text }); }
  function hex(raw) { return raw ? raw.map(function (w) { return w.toString(16).padStart(4, '0'); }).join(' ') : ''; }
  function age(now, ts) {
    if (!ts) return '';
    var s = (now - ts) / 1000;
    return s < 100 ? s.toFixed(1) + ' s ago' : Math.round(s / 60) + ' min ago';
  }

  /** The columns of a point row: one renderer per column, so a control is one more entry. */
  var POINT_COLUMNS = [
    { head: 'point', cell: function (p) { return el('td', { class: 'name', text: p.name }); } },
    { head: 'value', cell: function (p) { return el('td', { class: 'value', text: F.number(p.value, p.decimals) }); } },
    { head: 'unit', cell: function (p) { return el('td', { class: 'unit', text: p.symbol, title: p.unit && p.unit !== p.symbol ? 'UCUM ' + p.unit : undefined }); } },
    { head: 'quality', cell: function (p) {
      return el('td', { class: 'quality' }, [badge(p.quality, p.quality), p.reason ? el('span', { class: 'muted', text: ' ' + p.reason }) : null]);
    } },
    { head: 'raw', cell: function (p) { return el('td', { class: 'raw', text: hex(p.raw) }); } },
    { head: 'address', cell: function (p) {
      return el('td', { class: 'address', text: p.address || '', title: p.resolved ? 'this session: ' + p.resolved : undefined });
    } },
    { head: 'time', cell: function (p, now) {
      return el('td', { class: 'time muted', text: p.ts ? F.clock(p.ts) + ' (' + age(now, p.ts) + ')' : '' });
    } }
  ];

  function pointRow(p, now) {
    return el('tr', { 'data-point': p.name, 'data-quality': p.quality }, POINT_COLUMNS.map(function (c) { return c.cell(p, now); }));
  }

  function deviceCard(d, now) {
    var c = d.counters;
    var where = [d.model, d.endpoint];
    if (d.unitId !== undefined) where.push('unit ' + d.unitId);
    where.push('every ' + d.pollIntervalMs + ' ms', 'cycles ' + c.cycles, 'errors ' + c.errors,
      'timeouts ' + c.timeouts, 'overruns ' + c.overruns);
    var head = el('div', { class: 'head' }, [
      el('b', { text: d.id }), ' ', badge(d.state, d.state, 'state'),
      d.since ? el('span', { class: 'muted since', text: ' since ' + F.clock(d.since) }) : null, ' ',
      el('span', { class: 'muted where', text: where.join(' · ') }),
      d.lastError ? el('span', {}, [' ', badge('bad', d.lastError, 'last-error')]) : null
    ]);
    var table = el('table', {}, [
      el('thead', {}, [el('tr', {}, POINT_COLUMNS.map(function (col) { return el('th', { class: col.head, text: col.head }); }))]),
      el('tbody', {}, d.points.map(function (p) { return pointRow(p, now); }))
    ]);
    // every point bad for one reason (a device that does not answer): one line, the rows folded
    var reasons = {};
    d.points.forEach(function (p) { reasons[p.quality === 'bad' ? (p.reason || '') : '\u0000good'] = true; });
    var keys = Object.keys(reasons);
    var body = table;
    if (d.points.length > 3 && keys.length === 1 && keys[0] !== '\u0000good') {
      var det = el('details', { 'data-device': d.id }, [
        el('summary', { class: 'allbad', text: 'all ' + d.points.length + ' points bad' + (keys[0] ? ': ' + keys[0] : '') }), table]);
      if (openDetails[d.id]) det.open = true;
      det.addEventListener('toggle', function () { openDetails[d.id] = det.open; });
      body = det;
    }
    return el('section', { class: 'card device s-' + d.state, 'data-device': d.id, 'data-state': d.state }, [head, body, commandsTable(d)]);
  }

  // the last commands to the device (issue 15): who, which points, outcome, when
  function commandsTable(d) {
    if (!d.commands || d.commands.length === 0) return null;
    return el('details', { class: 'commands', 'data-commands': d.id }, [
      el('summary', { text: 'last commands: ' + d.commands[0].outcome + (d.commands[0].repeat ? ' (repeat)' : '') }),
      el('table', {}, [
        el('thead', {}, [el('tr', {}, ['id', 'issuer', 'points', 'outcome', 'received', 'executed', 'done'].map(function (h) { return el('th', { text: h }); }))]),
        el('tbody', {}, d.commands.map(function (c) {
          return el('tr', { 'data-command': c.id, 'data-outcome': c.outcome }, [
            el('td', { class: 'name', text: c.id }),
            el('td', { text: (c.issuer || '') + (c.onBehalfOf ? ' for ' + c.onBehalfOf : '') }),
            el('td', { text: c.points.join(', ') }),
            el('td', {}, [badge(c.outcome === 'ok' ? 'good' : 'bad', c.outcome + (c.repeat ? ' (repeat)' : ''), 'outcome'), c.reason ? el('span', { class: 'muted', text: ' ' + c.reason }) : null]),
            el('td', { text: F.clock(c.received) }),
            el('td', { text: c.executed ? F.clock(c.executed) : '' }),
            el('td', { text: F.clock(c.done) })
          ]);
        }))
      ])
    ]);
  }

  function counts(devices) {
    var n = { down: 0, degraded: 0, unknown: 0, up: 0 };
    devices.forEach(function (d) { n[d.state] = (n[d.state] || 0) + 1; });
    return ['down', 'degraded', 'unknown', 'up'].filter(function (k) { return k === 'up' || n[k] > 0 || k === 'down'; })
      .map(function (k) { return el('span', { class: 'badge ' + (n[k] > 0 ? k : 'zero'), id: 'count-' + k, 'data-count': n[k], text: n[k] + ' ' + k }); });
  }

  function bufferLine(u) {
    if (!u) return ['Readings go to standard output (no buffer).'];
    var fill = u.bufferMaxBytes ? Math.min(100, (100 * u.bufferBytes) / u.bufferMaxBytes) : 0;
    var meter = u.bufferMaxBytes
      ? el('span', {}, [' ', el('span', { class: 'meter', title: F.number(fill, 1) + '%' }, [el('span', { style: 'width:' + fill + '%' })]),
          ' ' + F.number(fill, 1) + '%'])
      : null;
    return [el('b', { text: 'Buffer' }), ' ' + u.backlog + ' batches, ' + F.number(u.bufferBytes / 1024, 1) + ' KiB', meter,
      ' · oldest ' + F.number(u.oldestAgeMs / 1000, 0) + ' s · dropped ', el('b', { id: 'dropped', text: String(u.dropped) }),
      ' · reconnects ' + u.reconnects];
  }

  function render(s) {
    var now = Date.now();
    $('gw').textContent = s.district + ' / ' + s.gateway;
    var u = s.uplink;
    $('uplink').replaceChildren(u
      ? el('span', { class: 'badge ' + (u.connected ? 'connected' : 'offline'), id: 'uplink-state',
          text: u.connected ? 'uplink connected' : 'uplink offline: buffering' })
      : badge('unknown', 'no uplink (stdout)'));
    $('counts').replaceChildren.apply($('counts'), counts(s.devices));
    $('updated').textContent = 'updated ' + F.clock(now);
    $('buffer').replaceChildren.apply($('buffer'), bufferLine(u));
    var f = s.fleet;
    $('fleet').textContent = f
      ? 'config v' + f.appliedVersion + (f.appliedVersion === 0 ? ' (local file)' : '') + ' · ' + f.status +
        (f.lastOutcome ? ' · last push: ' + f.lastOutcome : '') + (f.reason ? ' (' + f.reason + ')' : '')
      : '';
    var sorted = s.devices.slice().sort(function (a, b) {
      return (ORDER[a.state] - ORDER[b.state]) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    });
    $('devices').replaceChildren.apply($('devices'), sorted.map(function (d) { return deviceCard(d, now); }));
  }

  $('zone').textContent = 'times: ' + F.zone();
  function tick() {
    fetch('api/devices', { cache: 'no-store' })
      .then(function (r) { if (r.ok) return r.json().then(render); $('updated').textContent = 'agent answered ' + r.status; })
      .catch(function () { $('updated').textContent = 'agent unreachable'; })
      .finally(function () { setTimeout(tick, 1000); });
  }
  tick();
})();
`;

export const STATUS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Ganzhi 感知 gateway</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>Ganzhi 感知 gateway <span id="gw"></span></h1><span class="counts" id="counts"></span><span id="uplink"></span><span id="updated" class="muted"></span><span class="zone" id="zone"></span></header>
<main>
  <section class="card" id="buffer"></section>
  <section class="card muted" id="fleet"></section>
  <section id="devices"></section>
</main>
<script>${PAGE_FORMAT_SCRIPT}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;

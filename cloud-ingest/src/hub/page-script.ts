/**
 * The hub page's script (plain browser JavaScript, no dependencies, kept as a string so
 * the page is one self-contained document). One update chain — overview → devices →
 * points → series — re-run every `refreshMs` and whenever a select changes, never two
 * at once. Everything from the API is put in the DOM with textContent, never as HTML.
 *
 * Commands (issue 15): the chosen device's writable points get a control (a switch for a
 * boolean, a number input with the range for a number, helpers in command-script.ts); a change
 * opens a confirmation (device, point, old → new, gateway, district), then POST /api/commands
 * with the operator's HTTP Basic credentials — asked once per page session in a dialog and kept
 * in a closure only (never localStorage, sessionStorage or a cookie; operator-script.ts, shared
 * with the fleet view); a 401 asks again — and the outcome is polled from GET /api/commands/:id.
 */
export const PAGE_SCRIPT = `
(function () {
  'use strict';
  var cfg = JSON.parse(document.getElementById('cfg').textContent);
  var SVGNS = 'http://www.w3.org/2000/svg';
  function $(id) { return document.getElementById(id); }
  var sel = { district: $('sel-district'), gateway: $('sel-gateway'), device: $('sel-device'),
    point: $('sel-point'), span: $('sel-span') };
  var lastOk = null;

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) {
      if (k === 'text') e.textContent = attrs[k]; else e.setAttribute(k, String(attrs[k]));
    });
    (children || []).forEach(function (c) { if (c) e.appendChild(c); });
    return e;
  }
  function svg(tag, attrs, text) {
    var e = document.createElementNS(SVGNS, tag);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, String(attrs[k])); });
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function qs(o) {
    return Object.keys(o).map(function (k) { return encodeURIComponent(k) + '=' + encodeURIComponent(o[k]); }).join('&');
  }
  var F = gzFormat;
  var fmtTime = F.clock;
  var STATE_ORDER = { down: 0, degraded: 1, unknown: 2, up: 3 };
  /** a figure that is not a point's value (points/s, axis of an unknown point): at most 3 significant decimals */
  function fmtVal(v, decimals) {
    if (v === null || v === undefined) return '—';
    var a = Math.abs(v);
    if (decimals === undefined && a !== 0 && (a >= 1e6 || a < 1e-3)) return v.toExponential(3);
    return F.number(v, decimals === null ? undefined : decimals);
  }
  /** a point's value and unit as people read them: "230.5 V", "12.0 °C", "true" */
  function withUnit(v, p) {
    var t = F.number(v, p.decimals === null ? undefined : p.decimals);
    return p.symbol ? t + ' ' + p.symbol : t;
  }
  function ago(now, ms) {
    if (ms === null || ms === undefined) return '—';
    var s = Math.max(0, Math.round((now - ms) / 1000));
    if (s < 90) return s + ' s ago';
    if (s < 5400) return Math.round(s / 60) + ' min ago';
    if (s < 172800) return Math.round(s / 3600) + ' h ago';
    return Math.round(s / 86400) + ' d ago';
  }
  function pct(c) {
    if (c.ratio === null) return '—';
    return c.ratio >= 1 ? '100%' : (Math.floor(c.ratio * 1000) / 10).toFixed(1) + '%';
  }
  function pill(state, text) { return el('span', { class: 'pill s-' + state, 'data-state': state, text: text }); }
  /** "3 down": coloured by state when there are any, grey when zero */
  function countPill(state, n) {
    return el('span', { class: 'pill ' + (n > 0 ? 's-' + state : 's-zero'), 'data-state': state, 'data-count': n,
      text: n + ' ' + state });
  }
  function stat(k, v, cls) {
    var vv = typeof v === 'string' ? el('span', { class: 'v' + (cls ? ' ' + cls : ''), text: v })
      : el('span', { class: 'v' }, v);
    return el('div', { class: 'stat' }, [el('span', { class: 'k', text: k }), vv]);
  }
  function devicePills(dc) {
    return ['up', 'degraded', 'down', 'unknown'].filter(function (k) { return dc[k] > 0 || k === 'up'; })
      .map(function (k) { return countPill(k, dc[k]); });
  }

  function showAlert(msg) { var a = $('alert'); a.textContent = msg || ''; a.className = msg ? 'show' : ''; }

  function renderTotals(o) {
    var t = o.totals, root = $('totals'), dc = t.deviceCounts;
    var devices = dc.up + dc.degraded + dc.down + dc.unknown;
    root.replaceChildren(
      el('span', {}, [el('b', { text: String(t.gatewayCounts.online) }),
        document.createTextNode(' / ' + (t.gatewayCounts.online + t.gatewayCounts.offline + t.gatewayCounts.unknown) + ' gateways online')]),
      el('span', {}, [el('b', { text: String(dc.up) }), document.createTextNode(' / ' + devices + ' devices up')]),
      el('span', { id: 'tot-attention' }, [countPill('down', dc.down), countPill('degraded', dc.degraded)]),
      el('span', {}, [el('b', { text: fmtVal(t.pointsPerSecond, 1) }), document.createTextNode(' points/s')]),
      el('span', {}, [el('b', { text: pct(t.completeness) }), document.createTextNode(' complete (1 h)')])
    );
  }

  /** Down and degraded devices of a district, down first: what needs a look. */
  function attentionTable(o, d) {
    if (d.attention.length === 0) return null;
    var head = el('tr', {}, ['Device', 'State', 'Since', 'Gateway', 'Last error']
      .map(function (h) { return el('th', { text: h }); }));
    var rows = d.attention.map(function (a) {
      return el('tr', { 'data-device': a.device, 'data-state': a.state }, [
        el('td', { text: a.device + (a.model ? ' · ' + a.model : '') }),
        el('td', {}, [pill(a.state, a.state)]),
        el('td', { text: a.since ? fmtTime(a.since) + ' (' + ago(o.now, a.since) + ')' : '—' }),
        el('td', { text: a.gateway }),
        el('td', { class: 'err', text: a.lastError || '' })
      ]);
    });
    return el('table', { class: 'attention' }, [el('caption', { text: 'Needs a look' }), el('thead', {}, [head]), el('tbody', {}, rows)]);
  }

  /** 24 bars, one per hour: completeness of the district's batches in that hour (receive time). */
  function trendChart(t) {
    var W = 480, H = 64, B = 14, n = t.buckets.length, bw = W / n;
    var s = svg('svg', { class: 'trend', viewBox: '0 0 ' + W + ' ' + H, preserveAspectRatio: 'none', role: 'img',
      'aria-label': 'completeness per hour, last ' + n + ' h', 'data-hours': n,
      'data-ratio': t.total.ratio === null ? '' : t.total.ratio });
    s.appendChild(svg('line', { class: 'axis', x1: 0, y1: H - B, x2: W, y2: H - B }));
    t.buckets.forEach(function (b, i) {
      var r = b.ratio, h = r === null ? 0 : Math.max(2, (H - B - 2) * Math.max(0, Math.min(1, r)));
      var bar = svg('rect', { x: (i * bw + 1).toFixed(1), y: (H - B - h).toFixed(1), width: Math.max(1, bw - 2).toFixed(1),
        height: h.toFixed(1), class: r === null ? 'none' : r < 0.99 ? 'lowbar' : 'okbar',
        'data-hour': b.hour, 'data-ratio': r === null ? '' : r });
      bar.appendChild(svg('title', {}, fmtTime(b.hour).slice(0, 5) + ' · ' +
        (r === null ? 'no batches' : pct(b) + ' (' + b.received + ' / ' + b.expected + ', gaps ' + b.gaps + ')')));
      s.appendChild(bar);
    });
    [0, Math.floor(n / 2), n - 1].forEach(function (i, k) {
      var b = t.buckets[i]; if (!b) return;
      s.appendChild(svg('text', { x: (i * bw + (k === 2 ? bw : 0)).toFixed(1), y: H - 2, 'text-anchor': k === 2 ? 'end' : 'start' },
        fmtTime(b.hour).slice(0, 5)));
    });
    return el('div', { class: 'trendbox' }, [
      el('div', { class: 'k', text: 'Completeness per hour, last ' + n + ' h: ' + pct(t.total) +
        (t.total.gaps ? ' · ' + t.total.gaps + ' gaps' : '') }), s]);
  }

  function renderDistricts(o, trend) {
    var root = $('districts');
    root.replaceChildren();
    if (o.districts.length === 0) {
      root.appendChild(el('div', { class: 'card empty',
        text: 'No gateway heard of yet: gateways appear when their birth message or first data arrives.' }));
      return;
    }
    o.districts.forEach(function (d) {
      var gc = d.gatewayCounts, c = d.completeness;
      var gwPills = [countPill('online', gc.online), countPill('offline', gc.offline)];
      if (gc.unknown) gwPills.push(countPill('unknown', gc.unknown));
      var stats = el('div', { class: 'stats' }, [
        stat('Gateways', gwPills),
        stat('Devices', devicePills(d.deviceCounts)),
        stat('Completeness, last hour', c.received + ' / ' + c.expected + ' (' + pct(c) + ')',
          c.ratio !== null && c.ratio < 0.99 ? 'low' : ''),
        stat('Gaps', String(c.gaps), c.gaps > 0 ? 'low' : ''),
        stat('Duplicates', String(c.duplicates)),
        stat('Points/s', fmtVal(d.pointsPerSecond, 1))
      ]);
      var head = el('tr', {}, ['Gateway', 'State', 'Since', 'Devices', 'Received / expected', 'Gaps', 'Dup.']
        .map(function (h) { return el('th', { text: h }); }));
      var rows = d.gateways.map(function (g) {
        var gcpl = g.completeness;
        return el('tr', { 'data-gateway': g.gateway, 'data-state': g.state }, [
          el('td', { text: g.gateway }),
          el('td', {}, [pill(g.state, g.state)]),
          el('td', { text: ago(o.now, g.since), title: g.since ? fmtTime(g.since) : '' }),
          el('td', { text: g.devices.up + ' up / ' + (g.devices.up + g.devices.degraded + g.devices.down + g.devices.unknown) }),
          el('td', { text: gcpl.received + ' / ' + gcpl.expected + ' (' + pct(gcpl) + ')' }),
          el('td', { text: String(gcpl.gaps), class: gcpl.gaps > 0 ? 'low' : '' }),
          el('td', { text: String(gcpl.duplicates) })
        ]);
      });
      var table = el('table', { class: 'gateways' }, [el('thead', {}, [head]), el('tbody', {}, rows)]);
      var t = trend && trend.districts.filter(function (x) { return x.district === d.district; })[0];
      var attention = d.deviceCounts.down + d.deviceCounts.degraded;
      root.appendChild(el('article', { class: 'card' + (d.deviceCounts.down ? ' has-down' : attention ? ' has-degraded' : ''),
        'data-district': d.district }, [el('h2', { text: d.district }), stats, t ? trendChart(t) : null, attentionTable(o, d), table]));
    });
  }

  /** Replaces a select's options, keeping the chosen value when it is still offered. */
  function fill(s, items) {
    var prev = s.value;
    var same = s.options.length === items.length && items.every(function (it, i) {
      return s.options[i].value === it.value && s.options[i].textContent === it.label;
    });
    if (!same) {
      s.replaceChildren.apply(s, items.map(function (it) { return el('option', { value: it.value, text: it.label }); }));
      if (items.some(function (it) { return it.value === prev; })) s.value = prev;
    }
    s.disabled = items.length === 0;
    return s.value;
  }

  function drawChart(s) {
    var c = $('chart'), info = $('chartinfo');
    c.replaceChildren();
    c.removeAttribute('data-last-ts');
    c.removeAttribute('data-last-value');
    var W = 900, H = 280, L = 60, R = 14, T = 12, B = 26;
    c.setAttribute('data-count', s ? String(s.samples.length) : '0');
    c.setAttribute('data-point', s ? s.point : '');
    c.appendChild(svg('line', { class: 'axis', x1: L, y1: H - B, x2: W - R, y2: H - B }));
    c.appendChild(svg('line', { class: 'axis', x1: L, y1: T, x2: L, y2: H - B }));
    if (!s) { info.textContent = 'Pick a district, gateway, device and point.'; return; }
    var vals = s.samples.filter(function (p) { return p.value !== null; });
    [[s.from, 'start'], [(s.from + s.to) / 2, 'middle'], [s.to, 'end']].forEach(function (t) {
      c.appendChild(svg('text', { x: L + (t[0] - s.from) / (s.to - s.from) * (W - L - R), y: H - 8, 'text-anchor': t[1] }, fmtTime(t[0])));
    });
    if (vals.length === 0) {
      info.textContent = s.point + ': no values in this window' + (s.samples.length ? ' (only bad readings)' : '');
      return;
    }
    var lo = Infinity, hi = -Infinity;
    vals.forEach(function (p) { if (p.value < lo) lo = p.value; if (p.value > hi) hi = p.value; });
    if (lo === hi) { lo -= Math.abs(lo) * 0.05 || 1; hi += Math.abs(hi) * 0.05 || 1; }
    var pad = (hi - lo) * 0.08; lo -= pad; hi += pad;
    function x(ts) { return L + (ts - s.from) / (s.to - s.from) * (W - L - R); }
    function y(v) { return T + (hi - v) / (hi - lo) * (H - T - B); }
    // the point's decimals, more when the ticks are closer than its resolution
    var step = (hi - lo) / 4, ad = s.decimals === null ? undefined : s.decimals;
    if (ad !== undefined && step > 0 && step < Math.pow(10, -ad)) ad = Math.min(6, Math.ceil(-Math.log10(step)));
    for (var i = 0; i <= 4; i++) {
      var v = lo + (hi - lo) * i / 4;
      c.appendChild(svg('line', { class: 'grid', x1: L, y1: y(v), x2: W - R, y2: y(v) }));
      c.appendChild(svg('text', { x: L - 6, y: y(v) + 4, 'text-anchor': 'end' }, fmtVal(v, ad)));
    }
    var seg = [];
    function flush() {
      if (seg.length) c.appendChild(svg('polyline', { class: 'line', points: seg.join(' ') }));
      seg = [];
    }
    s.samples.forEach(function (p) {
      if (p.value === null) flush(); else seg.push(x(p.ts).toFixed(1) + ',' + y(p.value).toFixed(1));
    });
    flush();
    if (s.samples.length <= 400) {
      vals.forEach(function (p) {
        c.appendChild(svg('circle', { cx: x(p.ts).toFixed(1), cy: y(p.value).toFixed(1), r: 2.5,
          'data-ts': p.ts, 'data-value': p.value }));
      });
    }
    var last = vals[vals.length - 1];
    c.setAttribute('data-last-ts', String(last.ts));
    c.setAttribute('data-last-value', String(last.value));
    info.textContent = s.point + ': ' + withUnit(last.value, s) + ' at ' + fmtTime(last.ts) +
      ' · ' + s.samples.length + ' samples' + (s.every ? ' (mean per ' + s.every / 1000 + ' s)' : '') + ' · ' + s.measurement;
  }

  async function getJson(url) {
    var r = await fetch(url, { cache: 'no-store', headers: { accept: 'application/json' } });
    if (!r.ok) {
      var body = await r.json().catch(function () { return {}; });
      throw new Error(url.split('?')[0] + ': ' + r.status + (body.message ? ' ' + body.message : ''));
    }
    return r.json();
  }


  // ---- commands (issue 15): a control per writable point of the chosen device ----
  var C = gzCommand;
  var ctl = { key: '', rows: {} };
  var confirmWait = null;

  function say(row, state, text) {
    row.status.textContent = text;
    row.status.setAttribute('data-outcome', state);
    row.status.className = 'outcome o-' + state;
  }
  function sleep(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }

  function controlRow(t, p) {
    var c = C.controlFor(p), id = 'ctl-' + Object.keys(ctl.rows).length;
    var row = { t: t, p: p, current: null, confirmed: null, busy: false, dirty: false };
    var status = el('span', { class: 'outcome', role: 'status', 'aria-live': 'polite', 'data-outcome': '' });
    var cur = el('span', { class: 'current', id: id + '-now', text: 'now: unknown' });
    var parts;
    if (c.kind === 'switch') {
      var sw = el('input', { type: 'checkbox', role: 'switch', id: id, 'data-point': p.name, 'aria-describedby': id + '-now' });
      sw.addEventListener('change', function () {
        var wanted = sw.checked;
        sw.checked = !wanted; // the switch shows the device, not the wish: it moves when the outcome is ok
        propose(row, wanted);
      });
      row.input = sw;
      parts = [el('label', { for: id, text: p.name }), sw, cur, status];
    } else {
      var range = c.min !== null ? 'range ' + c.min + '…' + c.max + (c.unit ? ' ' + c.unit : '') : 'range: the gateway checks';
      var num = el('input', { type: 'number', id: id, step: c.step, 'data-point': p.name, inputmode: 'decimal',
        'aria-describedby': id + '-range ' + id + '-now' });
      if (c.min !== null) { num.min = String(c.min); num.max = String(c.max); }
      var go = function () {
        var r = C.parseValue(p, num.value);
        if (!r.ok) { say(row, 'invalid', r.error); return; }
        propose(row, r.value);
      };
      num.addEventListener('input', function () { row.dirty = true; });
      num.addEventListener('keydown', function (e) { if (e.key === 'Enter') { e.preventDefault(); go(); } });
      var btn = el('button', { type: 'button', text: 'Set…', 'aria-label': 'Set ' + p.name });
      btn.addEventListener('click', go);
      row.input = num;
      parts = [el('label', { for: id, text: p.name + (c.unit ? ' (' + c.unit + ')' : '') }), num, btn,
        el('span', { class: 'range', id: id + '-range', text: range }), cur, status];
    }
    row.status = status; row.cur = cur;
    ctl.rows[id] = row;
    return el('div', { class: 'ctl', 'data-point': p.name, 'data-kind': c.kind }, parts);
  }

  /** Rebuilt only when the device or its writable points change, so a refresh never eats a keystroke. */
  function renderControls(t, points) {
    var root = $('controls');
    var writable = t ? points.filter(function (p) { return C.controlFor(p); }) : [];
    var key = t ? JSON.stringify([t.district, t.gateway, t.device, writable.map(function (p) {
      return [p.name, p.type, p.range, p.symbol];
    })]) : '';
    if (key === ctl.key) return writable;
    ctl.key = key; ctl.rows = {};
    root.setAttribute('data-device', t ? t.device : '');
    if (!t) root.replaceChildren(el('p', { class: 'empty', text: 'Pick a device to see the points you can set.' }));
    else if (writable.length === 0) root.replaceChildren(el('p', { class: 'empty', text: t.device + ' has no writable points.' }));
    else root.replaceChildren.apply(root, writable.map(function (p) { return controlRow(t, p); }));
    return writable;
  }

  /** The last value of each writable point, shown next to its control (and the "old" of a confirmation). */
  async function refreshCurrent(now) {
    var rows = Object.keys(ctl.rows).map(function (k) { return ctl.rows[k]; });
    for (var i = 0; i < rows.length; i++) {
      var row = rows[i], t = row.t;
      var s = await getJson('/api/hub/series?' + qs({ district: t.district, gateway: t.gateway, device: t.device,
        point: row.p.name, from: now - 3600000 }));
      var vals = s.samples.filter(function (x) { return x.value !== null; });
      var last = vals.length ? vals[vals.length - 1] : null;
      // a value the device confirmed (outcome ok) stands until a reading taken after it arrives
      if (row.confirmed && (!last || last.ts <= row.confirmed.at)) {
        row.current = row.confirmed.value;
      } else {
        row.confirmed = null;
        var v = last ? last.value : null;
        row.current = v === null ? null : row.p.type === 'boolean' ? v >= 0.5 : v;
      }
      row.cur.textContent = 'now: ' + C.show(row.p, row.current);
      row.cur.setAttribute('data-value', row.current === null ? '' : String(row.current));
      if (row.busy) continue;
      if (row.p.type === 'boolean') row.input.checked = row.current === true;
      else if (!row.dirty && document.activeElement !== row.input && row.current !== null) row.input.value = String(row.current);
    }
  }

  function propose(row, value) {
    if (row.busy || confirmWait) return;
    $('confirm-text').textContent = C.confirmText(row.t, row.p, row.current, value);
    confirmWait = { row: row, value: value };
    $('dlg-confirm').showModal();
  }
  $('confirm-send').addEventListener('click', function () { $('dlg-confirm').close('send'); });
  $('confirm-cancel').addEventListener('click', function () { $('dlg-confirm').close('cancel'); });
  $('dlg-confirm').addEventListener('close', function () {
    var w = confirmWait, d = $('dlg-confirm');
    confirmWait = null;
    if (!w) return;
    if (d.returnValue === 'send') send(w.row, w.value);
    else say(w.row, 'cancelled', 'cancelled: nothing was sent');
    d.returnValue = '';
    w.row.input.focus();
  });

  /** Signs in when needed (again after a 401: shared with the fleet view, operator-script.ts) and calls the API; null when the operator gave up. */
  function authed(row, method, url, body) {
    return gzOperator.call(method, url, body, function (message) { say(row, 'login', message); });
  }

  async function send(row, value) {
    row.busy = true;
    var t = row.t;
    say(row, 'sending', 'sending…');
    try {
      var r = await authed(row, 'POST', '/api/commands',
        { district: t.district, gateway: t.gateway, device: t.device, writes: [{ point: row.p.name, value: value }] });
      if (!r) { say(row, 'cancelled', 'not sent: no operator signed in'); return; }
      if (r.status !== 202) {
        var f = C.refusal(r.status, r.body, t.district);
        say(row, f.kind, f.message);
        return;
      }
      await follow(row, r.body, value);
    } catch (err) {
      say(row, 'error', 'The hub could not be reached: ' + err.message);
    } finally {
      row.busy = false;
    }
  }

  /** Polls the command until its outcome arrives (or its expiry passes with none). */
  async function follow(row, acc, value) {
    row.status.setAttribute('data-command', acc.id);
    var sent = Date.now(), issued = typeof acc.issued === 'number' ? acc.issued : sent;
    say(row, 'pending', 'pending: sent, waiting for the gateway');
    for (;;) {
      await sleep(600);
      var hubNow = issued + (Date.now() - sent);
      var r = await authed(row, 'GET', '/api/commands/' + encodeURIComponent(acc.id));
      if (!r) { say(row, 'error', 'stopped following the command: no operator signed in'); return; }
      var view = r.status === 200 ? r.body : { state: 'pending', outcomes: [], expires: acc.expires };
      if (r.status !== 200 && r.status !== 404) {
        say(row, 'error', C.refusal(r.status, r.body, row.t.district).message);
        return;
      }
      var o = C.outcomeOf(view, row.p, hubNow, 5000);
      say(row, o.state, o.text);
      if (o.state === 'pending') continue;
      if (o.state === 'ok') {
        var mine = (view.outcomes || []).filter(function (x) { return x.point === row.p.name && typeof x.done === 'number'; });
        row.confirmed = { value: value, at: mine.length ? mine[mine.length - 1].done : hubNow };
        row.current = value;
        row.cur.textContent = 'now: ' + C.show(row.p, value);
        if (row.p.type === 'boolean') row.input.checked = value === true;
        else { row.input.value = String(value); row.dirty = false; }
      }
      return;
    }
  }

  async function update() {
    var o = await getJson('/api/hub/overview');
    var trend = await getJson('/api/hub/completeness/hourly?hours=24');
    renderTotals(o);
    renderDistricts(o, trend);
    var district = fill(sel.district, o.districts.map(function (d) { return { value: d.district, label: d.district }; }));
    var d = o.districts.filter(function (x) { return x.district === district; })[0];
    var gateway = fill(sel.gateway, (d ? d.gateways : []).map(function (g) {
      return { value: g.gateway, label: g.gateway + ' (' + g.state + ')' };
    }));
    var device = '', point = '';
    if (district && gateway) {
      var devs = await getJson('/api/hub/devices?' + qs({ district: district, gateway: gateway }));
      var byState = devs.devices.slice().sort(function (a, b) {
        return (STATE_ORDER[a.state] - STATE_ORDER[b.state]) || (a.device < b.device ? -1 : 1);
      });
      device = fill(sel.device, byState.map(function (x) {
        return { value: x.device, label: x.device + (x.model ? ' · ' + x.model : '') + ' (' + x.state + ')' };
      }));
    } else fill(sel.device, []);
    if (device) {
      var pts = await getJson('/api/hub/points?' + qs({ district: district, gateway: gateway, device: device }));
      point = fill(sel.point, pts.points.map(function (p) { return { value: p.name, label: p.name + (p.symbol ? ' (' + p.symbol + ')' : '') }; }));
      if (renderControls({ district: district, gateway: gateway, device: device }, pts.points).length) await refreshCurrent(o.now);
    } else {
      fill(sel.point, []);
      renderControls(null, []);
    }
    if (point) {
      var span = Number(sel.span.value);
      var s = await getJson('/api/hub/series?' + qs({ district: district, gateway: gateway, device: device, point: point,
        from: o.now - span }));
      drawChart(s);
    } else drawChart(null);
    lastOk = Date.now();
    showAlert('');
    $('updated').textContent = 'updated ' + fmtTime(lastOk);
  }

  var running = false, again = false;
  function schedule() {
    if (running) { again = true; return; }
    running = true;
    update().catch(function (err) {
      showAlert('The hub API is not answering (' + err.message + ')' +
        (lastOk ? '; figures shown are from ' + fmtTime(lastOk) : ''));
    }).finally(function () {
      running = false;
      if (again) { again = false; schedule(); }
    });
  }
  $('zone').textContent = 'times: ' + F.zone();
  Object.keys(sel).forEach(function (k) { sel[k].addEventListener('change', schedule); });
  setInterval(schedule, cfg.refreshMs);
  schedule();
})();
`;

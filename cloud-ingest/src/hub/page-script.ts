/**
 * The hub page's script (plain browser JavaScript, no dependencies, kept as a string so
 * the page is one self-contained document). One update chain — overview → devices →
 * points → series — re-run every `refreshMs` and whenever a select changes, never two
 * at once. Everything from the API is put in the DOM with textContent, never as HTML.
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
    } else fill(sel.point, []);
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

/**
 * The hub page's fleet view (issue 16), plain browser JavaScript kept as a string like
 * PAGE_SCRIPT; the wording and every decision come from gzFleet (fleet-script.ts), the
 * operator's sign-in from gzOperator (operator-script.ts, shared with the command controls).
 *
 * - One table of every gateway of the operator's districts (GET /api/fleet): district,
 *   gateway, online, labels, desired vs applied version, the sync status coloured, and for a
 *   rejected or rolled-back push its reason and the validator's problems (path: message). A
 *   filter keeps all, the lagging or failed ones, the lagging (pending) or the failed ones; a
 *   second one the gateways carrying a label.
 * - Per gateway, "Push…" opens an editor (GET /api/fleet/{d}/{g}): a quick poll-interval
 *   field that becomes `set: {"defaults.pollIntervalMs": n}`, and the desired document as
 *   editable JSON. A push is confirmed first (gateway, district, what changes, the version it
 *   becomes), then POST /api/fleet/push; the outcome is followed from the gateway's reported
 *   state until it is final (applied, rejected with its problems, rolled back with its reason).
 *   The editor lists the gateway's last pushes and reports (the detail's history, newest first).
 * - The view loads once an operator signed in (its button, or a command's sign-in), refreshes
 *   every `refreshMs`, and never asks for a password in the background.
 * Everything from the API is put in the DOM with textContent, never as HTML.
 */
export const FLEET_PAGE_SCRIPT = `
(function () {
  'use strict';
  var cfg = JSON.parse(document.getElementById('cfg').textContent);
  var G = gzFleet, OP = gzOperator;
  function $(id) { return document.getElementById(id); }
  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) {
      if (k === 'text') e.textContent = attrs[k]; else e.setAttribute(k, String(attrs[k]));
    });
    (children || []).forEach(function (c) { if (c) e.appendChild(c); });
    return e;
  }
  function sleep(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }
  function path(g) { return '/api/fleet/' + encodeURIComponent(g.district) + '/' + encodeURIComponent(g.gateway); }
  var last = null, editing = null, confirmWait = null, shownKey = '';

  function say(state, text) {
    var o = $('fleet-outcome');
    if (!o) return;
    o.textContent = text;
    o.setAttribute('data-outcome', state);
    o.className = 'outcome o-' + state;
  }
  function note(text) { $('fleet-note').textContent = text || ''; }

  function whyCell(g) {
    var w = G.why(g);
    if (!w) return el('td', { class: 'why' });
    var list = w.problems.length ? el('ul', { class: 'problems' }, w.problems.map(function (p) { return el('li', { text: p }); })) : null;
    return el('td', { class: 'why err' }, [el('span', { class: 'reason', text: w.reason }), list]);
  }

  function render() {
    var root = $('fleet-list');
    var signed = OP.name();
    $('fleet-signin').hidden = !!signed;
    if (!signed) {
      shownKey = '';
      root.replaceChildren(el('p', { class: 'empty', text: 'The fleet view needs an operator: sign in to see the gateways of your districts.' }));
      $('fleet-summary').textContent = '';
      return;
    }
    if (!last) return;
    var c = G.counts(last.gateways);
    $('fleet-summary').textContent = c.total + (c.total === 1 ? ' gateway · ' : ' gateways · ') + c.lagging + ' lagging · ' + c.failed + ' failed';
    fillLabels(G.labels(last.gateways));
    var rows = G.filter(last.gateways, $('fleet-filter').value, $('fleet-label').value);
    // rebuilt only when something shown changed, so a refresh never takes the focus from a button
    var key = JSON.stringify([signed, rows]);
    if (key === shownKey) return;
    shownKey = key;
    if (rows.length === 0) {
      root.replaceChildren(el('p', { class: 'empty', text: c.total === 0
        ? 'No gateway of your districts is known yet (signed in as ' + signed + ').'
        : 'No gateway matches this filter.' }));
      return;
    }
    var head = el('tr', {}, ['District', 'Gateway', 'Online', 'Labels', 'Desired', 'Applied', 'Sync', 'Why', '']
      .map(function (h) { return el('th', { text: h }); }));
    var body = rows.map(function (g) {
      var vs = G.versions(g);
      var btn = el('button', { type: 'button', text: 'Push…', 'aria-label': 'Push a configuration to ' + g.gateway });
      btn.addEventListener('click', function () { openEditor(g); });
      return el('tr', { 'data-district': g.district, 'data-gateway': g.gateway, 'data-sync': g.sync }, [
        el('td', { text: g.district }),
        el('td', { text: g.gateway }),
        el('td', {}, [el('span', { class: 'pill s-' + g.online, text: g.online })]),
        el('td', { class: 'labels', text: (g.labels || []).join(', ') }),
        el('td', { class: 'desired', text: vs.desired, title: g.desired && g.desired.issuer
          ? 'by ' + g.desired.issuer + (g.desired.onBehalfOf ? ' for ' + g.desired.onBehalfOf : '') : '' }),
        el('td', { class: 'applied', text: vs.applied }),
        el('td', {}, [el('span', { class: 'pill y-' + g.sync, 'data-sync': g.sync, text: G.syncText(g.sync) })]),
        whyCell(g),
        el('td', {}, [btn])
      ]);
    });
    root.replaceChildren(el('table', { class: 'fleet' }, [el('thead', {}, [head]), el('tbody', {}, body)]));
  }

  /** the label choices, keeping the chosen one while some gateway still has it */
  function fillLabels(labels) {
    var s = $('fleet-label'), prev = s.value;
    var have = Array.prototype.slice.call(s.options, 1).map(function (o) { return o.value; });
    if (JSON.stringify(have) === JSON.stringify(labels)) return;
    s.replaceChildren.apply(s, [el('option', { value: '', text: 'any label' })].concat(labels.map(function (l) {
      return el('option', { value: l, text: l });
    })));
    s.value = labels.indexOf(prev) >= 0 ? prev : '';
  }

  function renderHistory(ol, history) {
    ol.replaceChildren.apply(ol, G.historyLines(history, 10).map(function (h) {
      return el('li', { class: 'h-' + h.kind, text: (h.ts ? gzFormat.clock(h.ts) + ' ' : '') + h.text });
    }));
  }

  async function refresh() {
    var r = await OP.callSignedIn('GET', '/api/fleet');
    if (!r) { last = null; render(); return; }
    if (r.status === 200) { last = r.body; note(''); }
    else if (r.status === 401) { last = null; note('Signed out: the hub no longer accepts the password; sign in again.'); }
    else note(G.pushAnswer(r.status, r.body, { district: '', gateway: '' }).text);
    render();
  }

  var running = false;
  function schedule() {
    if (running) return;
    running = true;
    refresh().catch(function (err) { note('The fleet API is not answering (' + err.message + ')'); })
      .finally(function () { running = false; });
  }

  $('fleet-signin').addEventListener('click', async function () {
    var r = await OP.call('GET', '/api/fleet', undefined, function (m) { note(m); });
    if (r && r.status === 200) { last = r.body; note(''); }
    render();
  });
  $('fleet-filter').addEventListener('change', render);
  $('fleet-label').addEventListener('change', render);

  // ---- the editor of one gateway ----
  async function openEditor(g) {
    var r = await OP.call('GET', path(g), undefined, function (m) { note(m); });
    if (!r) return;
    if (r.status !== 200) { note(G.pushAnswer(r.status, r.body, g).text); return; }
    var d = r.body;
    var box = $('fleet-editor');
    var interval = G.pollIntervalOf(d.config);
    var num = el('input', { type: 'number', id: 'fleet-interval', min: '10', step: '1', inputmode: 'numeric' });
    if (interval !== null) num.value = String(interval);
    var area = el('textarea', { id: 'fleet-doc', rows: '14', spellcheck: 'false', autocapitalize: 'off' });
    area.value = d.config ? JSON.stringify(d.config, null, 2) : JSON.stringify({ gateway: d.gateway, district: d.district }, null, 2);
    var goInterval = el('button', { type: 'button', text: 'Push poll interval…' });
    var goDoc = el('button', { type: 'button', text: 'Push document…' });
    var close = el('button', { type: 'button', text: 'Close' });
    goInterval.addEventListener('click', function () {
      var p = G.parseInterval(num.value);
      if (!p.ok) { say('invalid', p.error); return; }
      propose({ kind: 'interval', value: p.value });
    });
    num.addEventListener('keydown', function (e) { if (e.key === 'Enter') { e.preventDefault(); goInterval.click(); } });
    goDoc.addEventListener('click', function () {
      var p = G.parseDocument(area.value, editing.g);
      if (!p.ok) { say('invalid', p.error); return; }
      propose({ kind: 'document', value: p.value });
    });
    close.addEventListener('click', function () { editing = null; box.hidden = true; box.replaceChildren(); });
    var meta = el('p', { class: 'meta', text: metaText(d) });
    var history = el('ol', { id: 'fleet-history', 'aria-label': 'Last pushes and reports, newest first' });
    renderHistory(history, d.history);
    editing = { g: d, busy: false, num: num, area: area, meta: meta, history: history };
    box.replaceChildren(
      el('h3', { id: 'fleet-editor-title', text: 'Push a configuration to ' + d.gateway + ' (district ' + d.district + ')' }),
      meta,
      el('div', { class: 'ctl' }, [el('label', { for: 'fleet-interval', text: 'Poll interval (ms)' }), num, goInterval]),
      el('label', { for: 'fleet-doc', class: 'doclabel', text: 'Desired document (JSON; secrets as \${ENV:…} or \${FILE:…} references)' }),
      area,
      el('div', { class: 'buttons' }, [goDoc, close]),
      el('p', { id: 'fleet-outcome', class: 'outcome', role: 'status', 'aria-live': 'polite', 'data-outcome': '' }),
      el('h4', { text: 'History' }),
      history
    );
    box.setAttribute('data-gateway', d.gateway);
    box.setAttribute('data-district', d.district);
    box.hidden = false;
    num.focus();
  }

  function metaText(d) {
    return d.desired
      ? 'desired v' + d.desired.version + (d.desired.issuer ? ' by ' + d.desired.issuer : '') +
        (d.desired.onBehalfOf ? ' for ' + d.desired.onBehalfOf : '') + ' · ' + G.syncText(d.sync)
      : 'not under fleet management yet: push a whole document first';
  }

  function propose(change) {
    if (!editing || editing.busy || confirmWait) return;
    $('fleet-confirm-text').textContent = G.confirmText(editing.g, change);
    confirmWait = { ed: editing, change: change };
    say('confirming', 'waiting for your confirmation');
    $('dlg-fleet').showModal();
  }
  $('fleet-confirm-push').addEventListener('click', function () { $('dlg-fleet').close('push'); });
  $('fleet-confirm-cancel').addEventListener('click', function () { $('dlg-fleet').close('cancel'); });
  $('dlg-fleet').addEventListener('close', function () {
    var w = confirmWait, d = $('dlg-fleet');
    confirmWait = null;
    if (!w) return;
    if (d.returnValue === 'push' && w.ed === editing) push(w.ed, w.change);
    else say('cancelled', 'cancelled: nothing was pushed');
    d.returnValue = '';
  });

  async function push(ed, change) {
    ed.busy = true;
    var g = ed.g;
    say('sending', 'pushing…');
    try {
      var r = await OP.call('POST', '/api/fleet/push', G.pushBody(g, change), function (m) { say('login', m); });
      if (!r) { say('cancelled', 'not pushed: no operator signed in'); return; }
      var a = G.pushAnswer(r.status, r.body, g);
      say(a.state, a.text);
      if (a.state !== 'pending') return;
      $('fleet-outcome').setAttribute('data-version', String(a.version));
      schedule();
      await follow(ed, a.version);
    } catch (err) {
      say('error', 'The hub could not be reached: ' + err.message);
    } finally {
      ed.busy = false;
    }
  }

  /** Polls the gateway until its reported state is final for the pushed version. */
  async function follow(ed, version) {
    for (;;) {
      await sleep(700);
      if (ed !== editing) return;
      var r = await OP.call('GET', path(ed.g), undefined, function (m) { say('login', m); });
      if (!r) { say('error', 'stopped following the push: no operator signed in'); return; }
      if (r.status !== 200) { var a = G.pushAnswer(r.status, r.body, ed.g); say(a.state, a.text); return; }
      var f = G.followState(r.body, version);
      say(f.state, f.text);
      if (!f.final) continue;
      ed.g = r.body;
      ed.meta.textContent = metaText(r.body);
      renderHistory(ed.history, r.body.history);
      // what runs now; a refused document stays as edited so it can be corrected
      if (f.state === 'applied' || f.state === 'superseded') {
        var iv = G.pollIntervalOf(r.body.config);
        ed.num.value = iv === null ? '' : String(iv);
        if (r.body.config) ed.area.value = JSON.stringify(r.body.config, null, 2);
      }
      schedule();
      return;
    }
  }

  setInterval(schedule, cfg.refreshMs);
  schedule();
})();
`;

/**
 * The hub page's fleet helpers (issue 16), plain browser JavaScript kept as a string like
 * COMMAND_SCRIPT. It defines one global, `gzFleet`, of PURE functions (no DOM, no fetch) so the
 * unit tests evaluate the same text in Node (`new Function(FLEET_SCRIPT + '; return gzFleet')()`):
 * which gateways a filter (and a label) keeps, how a gateway's desired vs applied version and sync read, the
 * reason and problems of a refused push, reading the quick poll-interval field and the edited
 * JSON document, the push body for POST /api/fleet/push, the confirmation's wording, what the
 * API's answer means, and — while the page follows a push — whether the gateway's reported
 * state is final for the pushed version, and the gateway's history as lines. Everything returned is text: the page puts it in the
 * DOM with textContent only.
 *
 * Shapes: FleetGateway of GET /api/fleet (cloud-ingest/src/fleet, DESIGN of issue 16).
 */
export const FLEET_SCRIPT = `
var gzFleet = (function () {
  'use strict';
  var POLL_PATH = 'defaults.pollIntervalMs';
  var FAILED = { rejected: 1, 'rolled-back': 1 };
  var FILTERS = {
    all: function () { return true; },
    lagging: function (g) { return g.sync === 'pending'; },
    failed: function (g) { return !!FAILED[g.sync]; },
    attention: function (g) { return g.sync === 'pending' || !!FAILED[g.sync]; }
  };
  /** the gateways a filter keeps (all, lagging, failed, attention) — with \`label\`, only those carrying it — by district then gateway */
  function filter(gateways, which, label) {
    var f = FILTERS[which] || FILTERS.all;
    return (gateways || []).filter(function (g) {
      return f(g) && (!label || (g.labels || []).indexOf(label) >= 0);
    }).sort(function (a, b) {
      return a.district < b.district ? -1 : a.district > b.district ? 1 : a.gateway < b.gateway ? -1 : a.gateway > b.gateway ? 1 : 0;
    });
  }
  /** how many gateways lag (pending) and how many failed (rejected, rolled back) */
  function counts(gateways) {
    var c = { total: 0, lagging: 0, failed: 0 };
    (gateways || []).forEach(function (g) {
      c.total++;
      if (g.sync === 'pending') c.lagging++;
      if (FAILED[g.sync]) c.failed++;
    });
    return c;
  }
  /** every label of the listed gateways, sorted, once */
  function labels(gateways) {
    var seen = {};
    (gateways || []).forEach(function (g) { (g.labels || []).forEach(function (l) { seen[l] = 1; }); });
    return Object.keys(seen).sort();
  }
  function v(n) { return typeof n === 'number' && n > 0 ? 'v' + n : '—'; }
  function running(n) { return typeof n === 'number' && n > 0 ? 'version ' + n : 'its local configuration'; }
  /** the desired and the applied version as the table shows them */
  function versions(g) {
    var applied = g.state ? g.state.appliedVersion : null;
    return {
      desired: g.desired ? v(g.desired.version) : '—',
      applied: g.state ? (applied > 0 ? v(applied) : 'none') : '—'
    };
  }
  var SYNC_TEXT = { unmanaged: 'unmanaged', pending: 'pending', applied: 'applied', rejected: 'rejected',
    'rolled-back': 'rolled back' };
  function syncText(s) { return SYNC_TEXT[s] || String(s); }
  /** "path: message" per problem, "(root)" for an empty path */
  function problemLines(problems) {
    return (problems || []).map(function (p) { return (p.path === '' ? '(root)' : p.path) + ': ' + p.message; });
  }
  /** why a gateway refused or rolled back its last push: { reason, problems } or null when it did not */
  function why(g) {
    if (!FAILED[g.sync] || !g.state) return null;
    return { reason: g.state.reason || '', problems: problemLines(g.state.problems) };
  }
  /** the poll interval of a desired document, or null */
  function pollIntervalOf(config) {
    var d = config && typeof config === 'object' ? config.defaults : null;
    return d && typeof d.pollIntervalMs === 'number' ? d.pollIntervalMs : null;
  }
  /** the quick field: { ok, value } or { ok: false, error } (the agent's schema: whole ms, at least 10) */
  function parseInterval(input) {
    var t = String(input).trim();
    if (!/^\\d+$/.test(t)) return { ok: false, error: 'poll interval: enter a whole number of milliseconds' };
    var n = Number(t);
    if (!Number.isSafeInteger(n) || n < 10) return { ok: false, error: 'poll interval: at least 10 ms' };
    return { ok: true, value: n };
  }
  /**
   * The edited document: { ok, value } or { ok: false, error }. It must be a JSON object naming
   * the target gateway and district (the API refuses another; the gateway would too).
   */
  function parseDocument(text, target) {
    var doc;
    try { doc = JSON.parse(text); } catch (e) { return { ok: false, error: 'the document is not JSON: ' + e.message }; }
    if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return { ok: false, error: 'the document must be a JSON object' };
    if (doc.gateway !== target.gateway) return { ok: false, error: 'gateway: must be ' + target.gateway + ' (the gateway you push to)' };
    if (doc.district !== target.district) return { ok: false, error: 'district: must be ' + target.district + ' (the gateway\\'s district)' };
    return { ok: true, value: doc };
  }
  /** dotted paths (a.b[0].c) where two documents differ, at most \`max\` */
  function changedPaths(a, b, max) {
    var out = [], limit = max || 20;
    function same(x, y) { return JSON.stringify(x) === JSON.stringify(y); }
    function walk(x, y, path) {
      if (out.length >= limit || same(x, y)) return;
      var xo = x && typeof x === 'object', yo = y && typeof y === 'object';
      if (xo && yo && Array.isArray(x) === Array.isArray(y)) {
        if (Array.isArray(x)) {
          for (var i = 0; i < Math.max(x.length, y.length); i++) walk(x[i], y[i], path + '[' + i + ']');
          return;
        }
        var keys = Object.keys(x).concat(Object.keys(y).filter(function (k) { return !(k in x); })).sort();
        keys.forEach(function (k) { walk(x[k], y[k], path === '' ? k : path + '.' + k); });
        return;
      }
      out.push(path === '' ? '(root)' : path);
    }
    walk(a, b, '');
    return out;
  }
  /** POST /api/fleet/push body: one gateway, a new poll interval (set) or a whole document (config) */
  function pushBody(target, change) {
    var t = { district: target.district, gateway: target.gateway };
    if (change.kind === 'interval') {
      var set = {}; set[POLL_PATH] = change.value;
      return { target: t, set: set };
    }
    return { target: t, config: change.value };
  }
  function nextVersion(g) { return g && g.desired ? g.desired.version + 1 : 1; }
  /** the confirmation: gateway, district, what changes, the version it becomes */
  function confirmText(g, change) {
    var where = 'gateway ' + g.gateway + ' (district ' + g.district + ')';
    var as = ' as version ' + nextVersion(g) + '?';
    if (change.kind === 'interval') {
      var old = g.config ? pollIntervalOf(g.config) : null;
      return 'Push to ' + where + ': poll interval ' + (old === null ? 'unset' : old + ' ms') + ' → ' + change.value + ' ms' + as;
    }
    var paths = changedPaths(g.config || {}, change.value, 6);
    var what = paths.length === 0 ? 'the same document again' :
      'the edited document (changes ' + paths.join(', ') + (paths.length >= 6 ? ', …' : '') + ')';
    return 'Push to ' + where + ': ' + what + as;
  }
  /**
   * What the API's answer to a push means for one gateway:
   * { state: 'pending' | 'refused' | 'invalid' | 'forbidden' | 'login' | 'error', text, version? }
   */
  function pushAnswer(status, body, target) {
    var m = body && typeof body.message === 'string' ? body.message : '';
    var code = body && typeof body.code === 'string' ? body.code : '';
    if (status === 202) {
      var mine = function (x) { return x.district === target.district && x.gateway === target.gateway; };
      var p = ((body && body.pushes) || []).filter(mine)[0];
      if (p) return { state: 'pending', version: p.version, hash: p.hash,
        text: 'pending: version ' + p.version + ' pushed, waiting for ' + target.gateway };
      var r = ((body && body.refused) || []).filter(mine)[0];
      return { state: 'refused', text: 'refused by the hub: ' + (r && r.reason ? r.reason : 'no push for this gateway') };
    }
    if (status === 401) return { state: 'login', text: 'Name or password not accepted; please sign in again.' };
    if (status === 403) return { state: 'forbidden', text: 'Refused: district ' + target.district + ' is not one of your districts.' };
    if (status === 400) return { state: 'invalid', text: 'The hub refused the push: ' + (m || 'invalid') };
    if (status === 404) return { state: 'error', text: 'The hub does not know gateway ' + target.gateway + (m ? ' (' + m + ')' : '') };
    if (status === 409) return { state: 'error', text: 'Nothing to change: ' + (m || 'the gateway has no desired document yet') + ' — push a whole document first' };
    if (status === 429) return { state: 'error', text: 'Too many failed sign-ins; try again later.' + (m ? ' (' + m + ')' : '') };
    if (status === 503) return { state: 'error', text: 'Pushes are unavailable: ' + (m || 'the hub cannot publish now') };
    return { state: 'error', text: 'The hub answered ' + status + (code || m ? ': ' + [code, m].filter(Boolean).join(' ') : '') };
  }
  /**
   * While following a push of \`version\`: the gateway's reported state for it.
   * { state: 'pending' | 'applying' | 'applied' | 'rejected' | 'rolled-back' | 'superseded', final, text }
   */
  function followState(g, version) {
    var s = g && g.state;
    if (g && g.desired && g.desired.version > version)
      return { state: 'superseded', final: true, text: 'superseded: version ' + g.desired.version + ' was pushed since' };
    if (s && s.appliedVersion >= version && (s.status === 'applied' || s.appliedVersion > version))
      return { state: 'applied', final: true, text: 'applied: version ' + s.appliedVersion + ' is running on ' + g.gateway };
    if (s && s.desiredVersion === version) {
      if (s.status === 'rejected' || s.status === 'rolled-back') {
        var lines = problemLines(s.problems);
        return { state: s.status, final: true, text: (s.status === 'rejected' ? 'rejected' : 'rolled back') +
          ': version ' + version + (s.reason ? ' — ' + s.reason : '') + (lines.length ? ' (' + lines.join('; ') + ')' : '') +
          '; the gateway still runs ' + running(s.appliedVersion) };
      }
      if (s.status === 'applying') return { state: 'applying', final: false, text: 'applying version ' + version + '…' };
    }
    return { state: 'pending', final: false, text: 'pending: version ' + version + ' pushed, waiting for ' +
      (g ? g.gateway : 'the gateway') + (s ? ' (it runs ' + running(s.appliedVersion) + ')' : '') +
      (g && g.online === 'offline' ? '; it is offline and gets the push when it reconnects' : '') };
  }
  /**
   * The detail's history (newest first) as lines: "v3 pushed by hub for alice" / "v3 rejected:
   * reason (n problems)" / "v2 applied", each with its time (the caller formats ms).
   */
  function historyLines(history, max) {
    return (history || []).slice(0, max || 10).map(function (h) {
      if (h.kind === 'push') {
        return { ts: h.issued || h.seen, kind: 'push', text: v(h.version) + ' pushed' + (h.issuer ? ' by ' + h.issuer : '') +
          (h.onBehalfOf ? ' for ' + h.onBehalfOf : '') };
      }
      var n = (h.problems || []).length;
      var what = h.status === 'applied'
        ? (h.appliedVersion > 0 ? v(h.appliedVersion) + ' applied' : 'runs its local configuration')
        : v(h.desiredVersion) + ' ' + syncText(h.status) + (h.reason ? ': ' + h.reason
          : n ? ' (' + n + (n === 1 ? ' problem)' : ' problems)') : '');
      return { ts: h.ts, kind: h.status, text: what };
    });
  }
  return { filter: filter, labels: labels, historyLines: historyLines, counts: counts, versions: versions, syncText: syncText, why: why,
    problemLines: problemLines, pollIntervalOf: pollIntervalOf, parseInterval: parseInterval,
    parseDocument: parseDocument, changedPaths: changedPaths, pushBody: pushBody, nextVersion: nextVersion,
    confirmText: confirmText, pushAnswer: pushAnswer, followState: followState };
})();
`;

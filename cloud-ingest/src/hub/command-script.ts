/**
 * The hub page's command helpers (issue 15), plain browser JavaScript kept as a string like
 * PAGE_SCRIPT. It defines one global, `gzCommand`, of PURE functions (no DOM, no fetch) so the
 * unit tests can evaluate the same text in Node (`new Function(COMMAND_SCRIPT + '; return
 * gzCommand')()`): which control a point gets, reading the operator's input against the
 * point's type and range, the confirmation's wording, the Basic credentials, what an HTTP
 * answer of /api/commands means for the page, and how each outcome reads.
 * Everything these return is text: the page puts it in the DOM with textContent only.
 */
export const COMMAND_SCRIPT = `
var gzCommand = (function () {
  'use strict';
  /** null for a point the operator may not write; else the control it gets */
  function controlFor(p) {
    if (!p || p.access !== 'read-write') return null;
    if (p.type === 'boolean') return { kind: 'switch' };
    if (p.type === 'integer' || p.type === 'float') {
      var c = { kind: 'number', step: p.type === 'integer' ? '1' : 'any', min: null, max: null, unit: p.symbol || '' };
      if (p.range && typeof p.range.min === 'number' && typeof p.range.max === 'number') {
        c.min = p.range.min; c.max = p.range.max;
      }
      return c;
    }
    return null;
  }
  /** the operator's input as the value to send: { ok: true, value } or { ok: false, error } */
  function parseValue(p, input) {
    var c = controlFor(p);
    if (!c) return { ok: false, error: p && p.name ? p.name + ' is not writable' : 'not writable' };
    if (c.kind === 'switch') {
      if (input === true || input === false) return { ok: true, value: input };
      return { ok: false, error: p.name + ' takes on or off' };
    }
    var t = String(input).trim();
    if (t === '' || !/^[-+]?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?$/.test(t)) return { ok: false, error: p.name + ': enter a number' };
    var v = Number(t);
    if (!isFinite(v)) return { ok: false, error: p.name + ': enter a number' };
    if (p.type === 'integer' && !Number.isInteger(v)) return { ok: false, error: p.name + ': enter a whole number' };
    if (c.min !== null && (v < c.min || v > c.max)) {
      return { ok: false, error: p.name + ': ' + v + ' is outside ' + c.min + '…' + c.max + (c.unit ? ' ' + c.unit : '') };
    }
    return { ok: true, value: v };
  }
  /** a value as the confirmation and outcome show it: on/off, a number with its unit, — when unknown */
  function show(p, v) {
    if (v === null || v === undefined || (typeof v === 'number' && !isFinite(v))) return 'unknown';
    if (p && p.type === 'boolean') return v === true || v === 1 ? 'on' : v === false || v === 0 ? 'off' : String(v);
    var t = String(v);
    return p && p.symbol ? t + ' ' + p.symbol : t;
  }
  /** the confirmation: device, point, old → new, gateway and district, as text */
  function confirmText(t, p, oldValue, newValue) {
    return 'Set ' + p.name + ' of device ' + t.device + ' (gateway ' + t.gateway + ', district ' + t.district + '): ' +
      show(p, oldValue) + ' → ' + show(p, newValue) + '?';
  }
  /** "Basic …" for a name and password, UTF-8 (RFC 7617 with charset="UTF-8") */
  function basicAuth(name, password) {
    var bytes = new TextEncoder().encode(name + ':' + password), bin = '';
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return 'Basic ' + btoa(bin);
  }
  /** what a refused POST/GET means: { kind: 'login' | 'forbidden' | 'error', message } */
  function refusal(status, body, district) {
    var m = body && typeof body.message === 'string' ? body.message : '';
    if (status === 401) return { kind: 'login', message: 'Name or password not accepted; please sign in again.' };
    if (status === 403) return { kind: 'forbidden', message: 'Refused: district ' + district + ' is not one of your districts.' };
    if (status === 429) return { kind: 'error', message: 'Too many failed sign-ins; try again later.' + (m ? ' (' + m + ')' : '') };
    if (status === 400) return { kind: 'error', message: 'The hub refused the command: ' + (m || 'invalid') };
    if (status === 503) return { kind: 'error', message: 'Commands are unavailable: ' + (m || 'the hub cannot send them now') };
    return { kind: 'error', message: 'The hub answered ' + status + (m ? ': ' + m : '') };
  }
  var DONE = { ok: 1, rejected: 1, expired: 1, timeout: 1, 'device-exception': 1, 'readback-mismatch': 1, interrupted: 1 };
  /**
   * One point's state from GET /api/commands/:id: { state, text } where state is 'pending' or
   * the outcome; after the command expired with no outcome (plus grace), 'no-answer'.
   */
  function outcomeOf(view, p, now, graceMs) {
    var o = view && view.outcomes ? view.outcomes.filter(function (x) { return x.point === p.name; })[0] : undefined;
    if (!o) {
      if (view && view.state === 'done') {
        var any = view.outcomes && view.outcomes[0];
        var why = any && (any.commandReason || any.reason);
        return { state: 'rejected', text: 'rejected' + (why ? ': ' + why : '') };
      }
      if (view && typeof view.expires === 'number' && now > view.expires + (graceMs || 0)) {
        return { state: 'no-answer', text: 'no answer from the gateway by the command\\'s expiry' };
      }
      return { state: 'pending', text: 'pending: sent, waiting for the gateway' };
    }
    var s = DONE[o.outcome] ? o.outcome : 'unknown';
    var text = o.outcome;
    if (o.outcome === 'ok') text = 'ok: ' + p.name + ' is ' + show(p, o.requested === undefined ? null : o.requested);
    else if (o.outcome === 'rejected') text = 'rejected: ' + (o.reason || o.commandReason || 'no reason given');
    else if (o.outcome === 'expired') text = 'expired: the command arrived after its expiry and was not applied';
    else if (o.outcome === 'timeout') text = 'timeout: the device did not answer' + (o.reason ? ' (' + o.reason + ')' : '');
    else if (o.outcome === 'device-exception') text = 'device-exception: the device refused the write' +
      (o.code !== null && o.code !== undefined ? ', code ' + o.code : '') + (o.reason ? ' (' + o.reason + ')' : '');
    else if (o.outcome === 'readback-mismatch') text = 'readback-mismatch: wrote ' + show(p, o.requested) +
      ', read back ' + show(p, o.readback);
    else if (o.outcome === 'interrupted') text = 'interrupted: the gateway restarted during the write; check the device';
    if (o.repeat) text += ' (a repeat: answered from the gateway\\'s journal)';
    return { state: s, text: text };
  }
  return { controlFor: controlFor, parseValue: parseValue, show: show, confirmText: confirmText,
    basicAuth: basicAuth, refusal: refusal, outcomeOf: outcomeOf };
})();
`;

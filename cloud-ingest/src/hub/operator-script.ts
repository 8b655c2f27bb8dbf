/**
 * The hub page's operator session (plain browser JavaScript kept as a string, like PAGE_SCRIPT):
 * one sign-in per page session shared by the command controls and the fleet view. It defines
 * one global, `gzOperator`:
 *
 *   gzOperator.call(method, url, body, onLogin)  signs in when needed (the #dlg-login dialog),
 *       calls the hub API with HTTP Basic, and asks again after a 401 (onLogin(message) lets the
 *       caller show why); resolves { status, body }, or null when the operator cancelled
 *   gzOperator.callSignedIn(method, url, body)   the same without ever asking: null when nobody
 *       signed in (for background refreshes); a 401 signs out
 *   gzOperator.name()                            the signed-in operator's name, or null
 *
 * The credentials live in this closure only — never localStorage, sessionStorage or a cookie,
 * and not readable through `gzOperator` — and fetch runs with credentials 'omit' so a 401 never
 * opens the browser's own login box. Needs gzCommand (basicAuth, refusal) loaded first.
 */
export const OPERATOR_SCRIPT = `
var gzOperator = (function () {
  'use strict';
  function $(id) { return document.getElementById(id); }
  var cred = null, loginWait = null;

  /** Asks the operator's name and password; resolves null when they cancel. */
  function askLogin(message) {
    return new Promise(function (resolve) {
      loginWait = resolve;
      $('login-msg').textContent = message ||
        'Commands and fleet pushes need an operator of the district. Asked once per page session; kept only in this page.';
      $('login-pass').value = '';
      $('dlg-login').showModal();
      ($('login-name').value ? $('login-pass') : $('login-name')).focus();
    });
  }
  $('login-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var name = $('login-name').value, pass = $('login-pass').value;
    $('login-pass').value = '';
    if (!name || !pass) return;
    var r = loginWait; loginWait = null;
    $('dlg-login').close();
    if (r) r({ name: name, auth: gzCommand.basicAuth(name, pass) });
  });
  $('login-cancel').addEventListener('click', function () { $('dlg-login').close(); });
  $('dlg-login').addEventListener('close', function () {
    $('login-pass').value = '';
    // a close event is queued: by the time it runs, a sign-in may have been asked again
    if ($('dlg-login').open) return;
    var r = loginWait; loginWait = null;
    if (r) r(null);
  });

  async function once(method, url, body) {
    var h = { accept: 'application/json', authorization: cred.auth };
    if (body) h['content-type'] = 'application/json';
    var r = await fetch(url, { method: method, headers: h, credentials: 'omit', cache: 'no-store',
      body: body ? JSON.stringify(body) : undefined });
    var b = await r.json().catch(function () { return {}; });
    return { status: r.status, body: b };
  }

  /** one sign-in at a time: a second caller waits for the first dialog instead of opening another */
  var asking = null;
  async function signIn(message) {
    if (!asking) asking = askLogin(message).then(function (c) { cred = c; asking = null; return c; });
    return asking;
  }

  async function call(method, url, body, onLogin) {
    var message;
    for (;;) {
      if (!cred) {
        var c = await signIn(message);
        if (!c) return null;
      }
      var used = cred;
      var r = await once(method, url, body);
      if (r.status !== 401) return r;
      if (cred === used) cred = null;
      message = gzCommand.refusal(401, r.body, '').message;
      if (onLogin) onLogin(message);
    }
  }

  /** for background refreshes: calls only when signed in (null otherwise), never asks; a 401 signs out */
  async function callSignedIn(method, url, body) {
    if (!cred) return null;
    var used = cred;
    var r = await once(method, url, body);
    if (r.status === 401 && cred === used) cred = null;
    return r;
  }

  return { call: call, callSignedIn: callSignedIn, name: function () { return cred ? cred.name : null; } };
})();
`;

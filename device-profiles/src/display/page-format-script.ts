/**
 * Number and clock formatting for the pages (the hub page and the gateway status page), as
 * plain browser JavaScript in a string: both pages are self-contained documents with inline
 * scripts, and both must show numbers and times the same way. Inline it before the page's
 * own script; it defines one global object, `gzFormat`:
 *
 *   gzFormat.number(v, decimals)  230.5 → "230.5" with 1; booleans "true"/"false"; text as is;
 *                                 null → "—"; without decimals at most 3, trailing zeros cut
 *   gzFormat.clock(ms)            "03:25:22": 24-hour, the browser's time zone
 *   gzFormat.zone()               "Asia/Shanghai, UTC+8": the zone every clock on the page is in
 *
 * `decimals` comes from the server (pointDecimals, from the profile's scale, format or range).
 */
export const PAGE_FORMAT_SCRIPT = `
var gzFormat = (function () {
  'use strict';
  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function number(v, decimals) {
    if (v === null || v === undefined) return '\\u2014';
    if (typeof v === 'boolean') return v ? 'true' : 'false';
    if (typeof v !== 'number') return String(v);
    if (!isFinite(v)) return String(v);
    var s;
    if (typeof decimals === 'number') s = v.toFixed(decimals);
    else s = String(Number(v.toFixed(3)));
    // "-0.0" is zero
    return /^-0(\\.0*)?$/.test(s) ? s.slice(1) : s;
  }
  function clock(ms) {
    var d = new Date(ms);
    return pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds());
  }
  function offset(ms) {
    var m = -new Date(ms).getTimezoneOffset();
    var sign = m < 0 ? '-' : '+';
    m = Math.abs(m);
    return 'UTC' + (m === 0 ? '' : sign + Math.floor(m / 60) + (m % 60 ? ':' + pad(m % 60) : ''));
  }
  function zone() {
    var name = '';
    try { name = Intl.DateTimeFormat().resolvedOptions().timeZone || ''; } catch (e) { name = ''; }
    var off = offset(Date.now());
    return name && name !== 'UTC' && name !== 'Etc/UTC' ? name + ', ' + off : off;
  }
  return { number: number, clock: clock, zone: zone };
})();
`;

/**
 * Filter-subsumption for MQTT 3.1.1 topic filters (§4.7): `covers(pattern, filter)` is true when
 * every topic `filter` can match is also matched by `pattern`. The ACL grants subscriptions as
 * patterns, so a subscription is allowed only if it can never see more than what was granted.
 */
export function covers(pattern: string, filter: string): boolean {
  let pi = 0;
  let fi = 0;
  const pl = pattern.length;
  const fl = filter.length;
  for (;;) {
    const pEnd = levelEnd(pattern, pi);
    const fEnd = levelEnd(filter, fi);
    const pLevel1 = pEnd - pi === 1 ? pattern.charCodeAt(pi) : -1;
    const fLevel1 = fEnd - fi === 1 ? filter.charCodeAt(fi) : -1;
    if (pLevel1 === HASH) {
      // `a/#` also matches `a` itself; a filter reaching here covers only deeper levels or `#`.
      return true;
    }
    if (fLevel1 === HASH) return false;
    if (pLevel1 === PLUS) {
      // any single level of the filter (literal or `+`) is inside `+`
    } else if (fLevel1 === PLUS) {
      return false;
    } else if (pEnd - pi !== fEnd - fi || !sameRange(pattern, pi, filter, fi, pEnd - pi)) {
      return false;
    }
    const pDone = pEnd >= pl;
    const fDone = fEnd >= fl;
    if (pDone && fDone) return true;
    if (fDone) {
      // the filter ends, the pattern goes on: only `x/#` also matches the parent level
      return pEnd + 2 === pl && pattern.charCodeAt(pEnd + 1) === HASH;
    }
    if (pDone) return false;
    pi = pEnd + 1;
    fi = fEnd + 1;
  }
}

const HASH = 35; // '#'
const PLUS = 43; // '+'

function levelEnd(s: string, from: number): number {
  const i = s.indexOf('/', from);
  return i === -1 ? s.length : i;
}

function sameRange(a: string, ai: number, b: string, bi: number, n: number): boolean {
  for (let k = 0; k < n; k++) if (a.charCodeAt(ai + k) !== b.charCodeAt(bi + k)) return false;
  return true;
}

/** True if the string contains an MQTT wildcard character. */
export function hasWildcard(s: string): boolean {
  return s.indexOf('+') !== -1 || s.indexOf('#') !== -1;
}

/**
 * MQTT 3.1.1 topic filter validity ([MQTT-4.7.1-2], [MQTT-4.7.1-3], [MQTT-4.7.3-1], [MQTT-4.7.3-2]):
 * non-empty, `+` and `#` occupy a whole level, `#` only last, no U+0000.
 */
export function isValidFilter(filter: string): boolean {
  const n = filter.length;
  if (n === 0) return false;
  for (let i = 0; i < n; i++) {
    const c = filter.charCodeAt(i);
    if (c === 0) return false;
    if (c === PLUS || c === HASH) {
      const startOk = i === 0 || filter.charCodeAt(i - 1) === SLASH;
      const endOk = i === n - 1 || filter.charCodeAt(i + 1) === SLASH;
      if (!startOk || !endOk) return false;
      if (c === HASH && i !== n - 1) return false;
    }
  }
  return true;
}

/** MQTT 3.1.1 topic name validity for PUBLISH: non-empty, no wildcards, no U+0000. */
export function isValidTopicName(topic: string): boolean {
  if (topic.length === 0) return false;
  for (let i = 0; i < topic.length; i++) {
    const c = topic.charCodeAt(i);
    if (c === 0 || c === PLUS || c === HASH) return false;
  }
  return true;
}

const SLASH = 47; // '/'

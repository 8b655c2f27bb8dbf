/**
 * The hub page's fleet helpers, evaluated from the very text the page ships (FLEET_SCRIPT), on
 * FleetGateway objects shaped as GET /api/fleet documents them (issue 16): filters, versions,
 * sync text, why a push failed, the quick poll-interval field, the edited document, the push
 * body, the confirmation, the API's answers, and following a push to its final state. The
 * page's other scripts are parsed here too (a syntax error would blank the whole page).
 */
import { describe, expect, it } from 'vitest';
import { FLEET_PAGE_SCRIPT } from './fleet-page-script.js';
import { FLEET_SCRIPT } from './fleet-script.js';
import { OPERATOR_SCRIPT } from './operator-script.js';
import { renderHubPage } from './page.js';

interface Problem {
  path: string;
  message: string;
}
interface Gw {
  district: string;
  gateway: string;
  online: string;
  labels: string[];
  desired: { version: number; hash: string; issuer: string | null; onBehalfOf: string | null } | null;
  state: {
    status: string;
    desiredVersion: number | null;
    appliedVersion: number;
    reason: string | null;
    problems: Problem[];
  } | null;
  sync: string;
  config?: Record<string, unknown>;
}
type Res<T> = { ok: true; value: T } | { ok: false; error: string };
interface Gz {
  filter(g: Gw[], which: string, label?: string): Gw[];
  labels(g: Gw[]): string[];
  historyLines(h: unknown[], max?: number): { ts: number; kind: string; text: string }[];
  counts(g: Gw[]): { total: number; lagging: number; failed: number };
  versions(g: Gw): { desired: string; applied: string };
  syncText(s: string): string;
  why(g: Gw): null | { reason: string; problems: string[] };
  pollIntervalOf(c: unknown): number | null;
  parseInterval(input: string): Res<number>;
  parseDocument(text: string, t: { district: string; gateway: string }): Res<Record<string, unknown>>;
  changedPaths(a: unknown, b: unknown, max?: number): string[];
  pushBody(t: Gw, change: { kind: string; value: unknown }): unknown;
  nextVersion(g: Gw): number;
  confirmText(g: Gw, change: { kind: string; value: unknown }): string;
  pushAnswer(
    status: number,
    body: unknown,
    t: { district: string; gateway: string },
  ): { state: string; text: string; version?: number };
  followState(g: Gw, version: number): { state: string; final: boolean; text: string };
}
const gz = new Function(`${FLEET_SCRIPT}; return gzFleet;`)() as Gz;
const H = 'a'.repeat(64);

function gw(o: Partial<Gw> & { gateway: string }): Gw {
  return {
    district: 'north',
    online: 'online',
    labels: [],
    desired: null,
    state: null,
    sync: 'unmanaged',
    ...o,
  };
}
const state = (o: Partial<NonNullable<Gw['state']>>) => ({
  status: 'applied',
  desiredVersion: null,
  appliedVersion: 0,
  reason: null,
  problems: [],
  ...o,
});
const desired = (version: number) => ({ version, hash: H, issuer: 'hub', onBehalfOf: 'alice' });

const applied = gw({
  gateway: 'gw-a',
  desired: desired(2),
  state: state({ appliedVersion: 2, desiredVersion: 2 }),
  sync: 'applied',
});
const pending = gw({
  gateway: 'gw-p',
  desired: desired(3),
  state: state({ appliedVersion: 2, desiredVersion: 2 }),
  sync: 'pending',
});
const rejected = gw({
  gateway: 'gw-r',
  district: '东城',
  labels: ['streetlights'],
  desired: desired(4),
  state: state({
    status: 'rejected',
    desiredVersion: 4,
    appliedVersion: 3,
    reason: 'config has 2 problems',
    problems: [
      { path: 'defaults.retries', message: 'must be <= 10' },
      { path: '', message: 'must have property devices' },
    ],
  }),
  sync: 'rejected',
});
const rolled = gw({
  gateway: 'gw-b',
  desired: desired(5),
  state: state({
    status: 'rolled-back',
    desiredVersion: 5,
    appliedVersion: 4,
    reason: 'the new uplink got no birth acknowledgement within 5000 ms',
  }),
  sync: 'rolled-back',
});
const bare = gw({ gateway: 'gw-0', online: 'unknown' });
const all = [rolled, bare, rejected, pending, applied];

describe('hub page fleet helpers', () => {
  it('filters lagging and failed gateways, ordered by district then gateway, and counts them', () => {
    const names = (w: string) => gz.filter(all, w).map((g) => g.gateway);
    expect(names('all')).toEqual(['gw-0', 'gw-a', 'gw-b', 'gw-p', 'gw-r']);
    expect(names('lagging')).toEqual(['gw-p']);
    expect(names('failed')).toEqual(['gw-b', 'gw-r']);
    expect(names('attention')).toEqual(['gw-b', 'gw-p', 'gw-r']);
    expect(names('no-such-filter')).toHaveLength(5);
    expect(gz.counts(all)).toEqual({ total: 5, lagging: 1, failed: 2 });
    expect(gz.counts([])).toEqual({ total: 0, lagging: 0, failed: 0 });
    // by label too
    const labelled = [...all, gw({ gateway: 'gw-l', labels: ['pilot', 'streetlights'] })];
    expect(gz.labels(labelled)).toEqual(['pilot', 'streetlights']);
    expect(gz.labels([])).toEqual([]);
    expect(gz.filter(labelled, 'all', 'streetlights').map((g) => g.gateway)).toEqual(['gw-l', 'gw-r']);
    expect(gz.filter(labelled, 'failed', 'streetlights').map((g) => g.gateway)).toEqual(['gw-r']);
    expect(gz.filter(labelled, 'all', 'pilot').map((g) => g.gateway)).toEqual(['gw-l']);
    expect(gz.filter(labelled, 'all', '')).toHaveLength(6);
  });

  it("lists the detail's history, newest first, at most 10 by default", () => {
    const h = [
      {
        kind: 'state',
        status: 'rejected',
        desiredVersion: 3,
        appliedVersion: 2,
        reason: 'config has 2 problems',
        problems: [
          { path: 'a', message: 'x' },
          { path: 'b', message: 'y' },
        ],
        ts: 30,
      },
      { kind: 'push', version: 3, hash: H, issuer: 'hub', onBehalfOf: 'alice', issued: 20, seen: 21 },
      { kind: 'state', status: 'applied', desiredVersion: 2, appliedVersion: 2, problems: [], ts: 15 },
      {
        kind: 'state',
        status: 'rolled-back',
        desiredVersion: 2,
        appliedVersion: 1,
        reason: 'no birth ack',
        problems: [],
        ts: 12,
      },
      { kind: 'push', version: 1, hash: H, issuer: null, onBehalfOf: null, issued: null, seen: 5 },
      {
        kind: 'state',
        status: 'rejected',
        desiredVersion: 1,
        appliedVersion: 0,
        problems: [{ path: 'x', message: 'y' }],
        ts: 4,
      },
      { kind: 'state', status: 'applied', desiredVersion: null, appliedVersion: 0, problems: [], ts: 3 },
    ];
    expect(gz.historyLines(h)).toEqual([
      { ts: 30, kind: 'rejected', text: 'v3 rejected: config has 2 problems' },
      { ts: 20, kind: 'push', text: 'v3 pushed by hub for alice' },
      { ts: 15, kind: 'applied', text: 'v2 applied' },
      { ts: 12, kind: 'rolled-back', text: 'v2 rolled back: no birth ack' },
      { ts: 5, kind: 'push', text: 'v1 pushed' },
      { ts: 4, kind: 'rejected', text: 'v1 rejected (1 problem)' },
      { ts: 3, kind: 'applied', text: 'runs its local configuration' },
    ]);
    expect(gz.historyLines(h, 2)).toHaveLength(2);
    expect(gz.historyLines(Array.from({ length: 50 }, () => h[1]))).toHaveLength(10);
    expect(gz.historyLines(undefined as never)).toEqual([]);
  });

  it('reads desired vs applied version and the sync status', () => {
    expect(gz.versions(pending)).toEqual({ desired: 'v3', applied: 'v2' });
    expect(gz.versions(bare)).toEqual({ desired: '—', applied: '—' });
    expect(gz.versions(gw({ gateway: 'x', state: state({ appliedVersion: 0 }) }))).toEqual({
      desired: '—',
      applied: 'none',
    });
    expect(gz.syncText('rolled-back')).toBe('rolled back');
    expect(gz.syncText('applied')).toBe('applied');
  });

  it('says why a push was refused or rolled back, with each problem path', () => {
    expect(gz.why(rejected)).toEqual({
      reason: 'config has 2 problems',
      problems: ['defaults.retries: must be <= 10', '(root): must have property devices'],
    });
    expect(gz.why(rolled)).toEqual({
      reason: 'the new uplink got no birth acknowledgement within 5000 ms',
      problems: [],
    });
    expect(gz.why(applied)).toBeNull();
    expect(gz.why(pending)).toBeNull();
  });

  it('reads the poll interval field as whole milliseconds, at least 10 (the agent schema)', () => {
    expect(gz.parseInterval(' 2500 ')).toEqual({ ok: true, value: 2500 });
    expect(gz.parseInterval('10')).toEqual({ ok: true, value: 10 });
    expect(gz.parseInterval('9')).toEqual({ ok: false, error: 'poll interval: at least 10 ms' });
    for (const bad of ['', 'abc', '1.5', '-100', '1e3', '２０００'])
      expect(gz.parseInterval(bad)).toEqual({
        ok: false,
        error: 'poll interval: enter a whole number of milliseconds',
      });
    expect(gz.pollIntervalOf({ defaults: { pollIntervalMs: 1000 } })).toBe(1000);
    expect(gz.pollIntervalOf({})).toBeNull();
    expect(gz.pollIntervalOf(null)).toBeNull();
  });

  it('reads the edited document: JSON object naming the target gateway and district', () => {
    const t = { district: '东城', gateway: 'gw-r' };
    expect(gz.parseDocument('{"gateway":"gw-r","district":"东城","devices":[]}', t)).toEqual({
      ok: true,
      value: { gateway: 'gw-r', district: '东城', devices: [] },
    });
    const notJson = gz.parseDocument('{"gateway": ', t);
    expect(notJson.ok).toBe(false);
    expect(notJson.ok ? '' : notJson.error).toMatch(/^the document is not JSON: /);
    expect(gz.parseDocument('[1]', t)).toEqual({ ok: false, error: 'the document must be a JSON object' });
    expect(gz.parseDocument('null', t)).toEqual({ ok: false, error: 'the document must be a JSON object' });
    expect(gz.parseDocument('{"gateway":"gw-x","district":"东城"}', t)).toEqual({
      ok: false,
      error: 'gateway: must be gw-r (the gateway you push to)',
    });
    expect(gz.parseDocument('{"gateway":"gw-r","district":"north"}', t)).toEqual({
      ok: false,
      error: "district: must be 东城 (the gateway's district)",
    });
  });

  it('builds the push body: set for the poll interval, config for a whole document', () => {
    expect(gz.pushBody(applied, { kind: 'interval', value: 5000 })).toEqual({
      target: { district: 'north', gateway: 'gw-a' },
      set: { 'defaults.pollIntervalMs': 5000 },
    });
    const doc = { gateway: 'gw-a', district: 'north' };
    expect(gz.pushBody(applied, { kind: 'document', value: doc })).toEqual({
      target: { district: 'north', gateway: 'gw-a' },
      config: doc,
    });
  });

  it('confirms with gateway, district, what changes and the version it becomes', () => {
    const a = {
      ...applied,
      config: { gateway: 'gw-a', district: 'north', defaults: { pollIntervalMs: 1000 } },
    };
    expect(gz.confirmText(a, { kind: 'interval', value: 5000 })).toBe(
      'Push to gateway gw-a (district north): poll interval 1000 ms → 5000 ms as version 3?',
    );
    expect(gz.confirmText(bare, { kind: 'interval', value: 5000 })).toBe(
      'Push to gateway gw-0 (district north): poll interval unset → 5000 ms as version 1?',
    );
    const edited = { ...a.config, defaults: { pollIntervalMs: 1000, retries: 99 }, labels: ['pilot'] };
    expect(gz.confirmText(a, { kind: 'document', value: edited })).toBe(
      'Push to gateway gw-a (district north): the edited document (changes defaults.retries, labels) as version 3?',
    );
    expect(gz.confirmText(a, { kind: 'document', value: a.config })).toBe(
      'Push to gateway gw-a (district north): the same document again as version 3?',
    );
    expect(gz.changedPaths({ d: [{ a: 1 }, { a: 2 }] }, { d: [{ a: 1 }, { a: 3 }, { a: 4 }] })).toEqual([
      'd[1].a',
      'd[2]',
    ]);
    expect(gz.changedPaths(1, 2)).toEqual(['(root)']);
    expect(gz.changedPaths({}, { a: 1, b: 2, c: 3 }, 2)).toEqual(['a', 'b']);
  });

  it("reads the API's answers to a push", () => {
    const t = { district: 'north', gateway: 'gw-a' };
    expect(
      gz.pushAnswer(
        202,
        {
          pushes: [
            { district: 'north', gateway: 'gw-a', version: 3, hash: H, topic: 'gz/v1/north/gw-a/config' },
          ],
          refused: [],
        },
        t,
      ),
    ).toEqual({ state: 'pending', version: 3, hash: H, text: 'pending: version 3 pushed, waiting for gw-a' });
    expect(
      gz.pushAnswer(
        202,
        { pushes: [], refused: [{ district: 'north', gateway: 'gw-a', reason: 'offline since …' }] },
        t,
      ),
    ).toEqual({ state: 'refused', text: 'refused by the hub: offline since …' });
    expect(gz.pushAnswer(403, { code: 'GZ_FORBIDDEN', message: 'x' }, t)).toEqual({
      state: 'forbidden',
      text: 'Refused: district north is not one of your districts.',
    });
    expect(
      gz.pushAnswer(
        400,
        { code: 'GZ_FLEET_INVALID', message: 'config.delivery.mqtt.password: inline secret' },
        t,
      ),
    ).toEqual({
      state: 'invalid',
      text: 'The hub refused the push: config.delivery.mqtt.password: inline secret',
    });
    expect(gz.pushAnswer(401, {}, t).state).toBe('login');
    expect(gz.pushAnswer(404, { message: 'gw-a' }, t).text).toBe('The hub does not know gateway gw-a (gw-a)');
    expect(
      gz.pushAnswer(409, { code: 'GZ_FLEET_NO_BASE', message: 'no desired document: gw-a' }, t).text,
    ).toBe('Nothing to change: no desired document: gw-a — push a whole document first');
    expect(gz.pushAnswer(503, {}, t).state).toBe('error');
    expect(gz.pushAnswer(500, null, t).text).toBe('The hub answered 500');
  });

  it('follows a push: pending, applying, then applied, rejected with its problems, or rolled back', () => {
    expect(gz.followState(pending, 3)).toEqual({
      state: 'pending',
      final: false,
      text: 'pending: version 3 pushed, waiting for gw-p (it runs version 2)',
    });
    expect(
      gz.followState(
        { ...pending, state: state({ status: 'applying', desiredVersion: 3, appliedVersion: 2 }) },
        3,
      ),
    ).toMatchObject({ state: 'applying', final: false });
    expect(
      gz.followState(
        { ...pending, sync: 'applied', state: state({ desiredVersion: 3, appliedVersion: 3 }) },
        3,
      ),
    ).toEqual({ state: 'applied', final: true, text: 'applied: version 3 is running on gw-p' });
    expect(gz.followState(rejected, 4)).toEqual({
      state: 'rejected',
      final: true,
      text:
        'rejected: version 4 — config has 2 problems (defaults.retries: must be <= 10; (root): must have property devices); ' +
        'the gateway still runs version 3',
    });
    expect(gz.followState(rolled, 5)).toMatchObject({ state: 'rolled-back', final: true });
    expect(gz.followState(rolled, 5).text).toContain('no birth acknowledgement');
    // an older refusal does not end the wait for a newer version
    expect(gz.followState({ ...rejected, desired: desired(5) }, 5)).toMatchObject({
      state: 'pending',
      final: false,
    });
    // an offline gateway gets the retained push when it reconnects
    expect(gz.followState({ ...pending, online: 'offline' }, 3).text).toBe(
      'pending: version 3 pushed, waiting for gw-p (it runs version 2); it is offline and gets the push when it reconnects',
    );
    // someone pushed again meanwhile
    expect(gz.followState({ ...pending, desired: desired(6) }, 3)).toMatchObject({
      state: 'superseded',
      final: true,
    });
    // a gateway that never reported, first push
    expect(gz.followState({ ...bare, desired: desired(1) }, 1).text).toBe(
      'pending: version 1 pushed, waiting for gw-0',
    );
    expect(
      gz.followState(
        {
          ...bare,
          desired: desired(1),
          state: state({ status: 'rejected', desiredVersion: 1, appliedVersion: 0, reason: 'x' }),
        },
        1,
      ).text,
    ).toBe('rejected: version 1 — x; the gateway still runs its local configuration');
  });

  it('ships scripts that parse, in the page, in order: helpers before the scripts that use them', () => {
    for (const s of [FLEET_SCRIPT, OPERATOR_SCRIPT, FLEET_PAGE_SCRIPT])
      expect(() => new Function(s)).not.toThrow();
    const page = renderHubPage({ refreshMs: 1000, windowMs: 60_000 });
    const scripts = [...page.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1] ?? '');
    for (const s of scripts) expect(() => new Function(s)).not.toThrow();
    const at = (needle: string) => scripts.findIndex((s) => s.includes(needle));
    expect(at('var gzCommand')).toBeLessThan(at('var gzOperator'));
    expect(at('var gzOperator')).toBeLessThan(at('gzOperator.call(method'));
    expect(at('var gzFleet')).toBeLessThan(at('var G = gzFleet'));
    expect(page).toContain('id="dlg-fleet"');
  });
});

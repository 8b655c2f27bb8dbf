import { describe, expect, it } from 'vitest';
import {
  configHash,
  decodeCommandRequest,
  decodeCommandResult,
  decodeDesiredConfig,
  deviceTopic,
  encodeCommandRequest,
  encodeCommandResult,
  parseTopic,
} from '../src/contract/index.js';

// The examples of docs/contract-v1.md, "CommandRequest and CommandResult", written by hand.
const DOC_REQUEST =
  '{"v":1,"id":"7f9c2e1a-light-on","writes":[{"point":"lamp_on","value":true}],"issued":1765000000000,"expires":1765000060000,"readback":true}';
const DOC_RESULT =
  '{"v":1,"id":"7f9c2e1a-light-on","device":"light-01","issuer":"op-north","received":1765000000100,"executed":1765000000120,"done":1765000000200,"outcomes":[{"point":"lamp_on","outcome":"ok","requested":true,"raw":true,"readback":true}]}';

describe('command envelopes (contract v1)', () => {
  it('decodes the documented examples', () => {
    const c = decodeCommandRequest(DOC_REQUEST);
    expect(c).toEqual({
      ok: true,
      value: {
        v: 1,
        id: '7f9c2e1a-light-on',
        writes: [{ point: 'lamp_on', value: true }],
        issued: 1765000000000,
        expires: 1765000060000,
        readback: true,
      },
    });
    const r = decodeCommandResult(DOC_RESULT);
    expect(r.ok && r.value.outcomes[0]?.outcome).toBe('ok');
  });

  it('refuses what must not be executed, naming the problem and keeping the id to answer with', () => {
    const base = { v: 1, id: 'cmd-00000001', writes: [{ point: 'lamp_on', value: true }], expires: 2e12 };
    const cases: [unknown, RegExp][] = [
      [{ ...base, expires: undefined }, /expires/],
      [{ ...base, writes: [] }, /writes/],
      [
        {
          ...base,
          writes: [
            { point: 'lamp_on', value: true },
            { point: 'lamp_on', value: false },
          ],
        },
        /written twice/,
      ],
      [{ ...base, writes: [{ point: 'lamp_on', value: null }] }, /writes\.0\.value/],
      [{ ...base, writes: [{ point: 'Lamp On', value: 1 }] }, /writes\.0\.point/],
      [{ ...base, extra: 1 }, /\(root\)|extra/],
      [{ ...base, issued: 0, expires: 25 * 3600 * 1000 }, /more than/],
      [{ ...base, issuer: 'bad issuer with spaces' }, /issuer/],
    ];
    for (const [payload, re] of cases) {
      const d = decodeCommandRequest(JSON.stringify(payload));
      expect(d.ok, JSON.stringify(payload)).toBe(false);
      if (!d.ok) {
        expect(d.error).toMatch(re);
        expect(d.id).toBe('cmd-00000001');
      }
    }
    expect(decodeCommandRequest('{"v":1,"id":"x y"}')).toMatchObject({ ok: false, id: undefined });
    expect(decodeCommandRequest(Buffer.from([0xff, 0xfe]))).toMatchObject({ ok: false, error: /UTF-8/ });
    expect(decodeCommandRequest('{')).toMatchObject({ ok: false, error: /not JSON/ });
    // NaN cannot come through JSON, but a caller encoding by hand gets the schema check
    expect(() => encodeCommandRequest({ ...base, id: 'short' } as never)).toThrow(/id/);
  });

  it('result outcomes are the documented ones only', () => {
    const bad = JSON.parse(DOC_RESULT);
    bad.outcomes[0].outcome = 'success';
    expect(decodeCommandResult(JSON.stringify(bad)).ok).toBe(false);
    const good = JSON.parse(DOC_RESULT);
    expect(encodeCommandResult(good).toString()).toBe(JSON.stringify(good));
  });

  it('refuses a bad result with the exact reason: not UTF-8, not JSON, schema', () => {
    expect(decodeCommandResult(Buffer.from([0xff, 0xfe]))).toEqual({
      ok: false,
      error: 'payload is not valid UTF-8',
    });
    expect(decodeCommandResult('{')).toMatchObject({ ok: false, error: /^payload is not JSON: / });
    const bad = JSON.parse(DOC_RESULT);
    bad.outcomes[0].outcome = 'success';
    expect(decodeCommandResult(JSON.stringify(bad))).toEqual({
      ok: false,
      error: 'outcomes.0.outcome: Expected union value',
    });
    expect(decodeCommandResult(JSON.stringify({ ...JSON.parse(DOC_RESULT), done: -1 }))).toEqual({
      ok: false,
      error: 'done: Expected integer to be greater or equal to 0',
    });
  });

  it('result is a device topic kind the contract parses', () => {
    const t = deviceTopic('north', 'gw-1', 'light-01', 'result');
    expect(t).toBe('gz/v1/north/gw-1/light-01/result');
    expect(parseTopic(t)).toEqual({
      scope: 'device',
      district: 'north',
      gateway: 'gw-1',
      device: 'light-01',
      kind: 'result',
    });
  });
});

describe('the broker-stamped issuer and onBehalfOf, in a command and in a desired config', () => {
  const config = { gateway: 'gw-1', district: 'north', devices: [] };
  const messages = [
    {
      name: 'command request',
      base: { v: 1, id: 'cmd-00000001', writes: [{ point: 'lamp_on', value: true }], expires: 2e12 },
      decode: decodeCommandRequest,
      kept: { id: 'cmd-00000001' },
    },
    {
      name: 'desired config',
      base: { v: 1, version: 3, hash: configHash(config), config },
      decode: decodeDesiredConfig,
      kept: { version: 3, hash: configHash(config) },
    },
  ];
  it.each(messages)(
    '$name: taken when they follow the issuer pattern, else refused naming the field',
    (m) => {
      const ok = { ...m.base, issuer: 'hub.north', onBehalfOf: 'alice@example.org' };
      expect(m.decode(JSON.stringify(ok))).toEqual({ ok: true, value: ok });
      const pattern = "Expected string to match '^[A-Za-z0-9][A-Za-z0-9_.@:-]{0,127}$'";
      for (const [field, value, error] of [
        ['issuer', 'bad issuer', pattern],
        ['issuer', '', pattern],
        ['issuer', 'x'.repeat(129), pattern],
        ['onBehalfOf', 'alice bob', pattern],
        ['onBehalfOf', '-alice', pattern],
        ['onBehalfOf', 7, 'Expected string'],
      ] as const) {
        expect(m.decode(JSON.stringify({ ...m.base, [field]: value })), `${field}=${value}`).toEqual({
          ok: false,
          error: `${field}: ${error}`,
          ...m.kept,
        });
      }
    },
  );
});

/**
 * The hub page's command helpers, evaluated from the very text the page ships (COMMAND_SCRIPT):
 * which control a point gets, the operator's input against type and range, the confirmation's
 * wording, Basic credentials (RFC 7617), what an API refusal means, and each outcome's text.
 */
import { describe, expect, it } from 'vitest';
import { COMMAND_SCRIPT } from './command-script.js';

interface Point {
  name: string;
  type: string;
  access: string;
  symbol?: string;
  range?: { min: number; max: number } | null;
}
interface Gz {
  controlFor(
    p: Point,
  ): null | { kind: string; min: number | null; max: number | null; step: string; unit: string };
  parseValue(p: Point, input: unknown): { ok: true; value: unknown } | { ok: false; error: string };
  show(p: Point, v: unknown): string;
  confirmText(
    t: { district: string; gateway: string; device: string },
    p: Point,
    o: unknown,
    n: unknown,
  ): string;
  basicAuth(name: string, password: string): string;
  refusal(status: number, body: unknown, district: string): { kind: string; message: string };
  outcomeOf(view: unknown, p: Point, now: number, graceMs: number): { state: string; text: string };
}
const gz = new Function(`${COMMAND_SCRIPT}; return gzCommand;`)() as Gz;

const lamp: Point = { name: 'lamp_on', type: 'boolean', access: 'read-write', symbol: '', range: null };
const dim: Point = {
  name: 'dim_level',
  type: 'integer',
  access: 'read-write',
  symbol: '%',
  range: { min: 0, max: 100 },
};
const speed: Point = { name: 'speed_sp', type: 'float', access: 'read-write', symbol: 'rpm', range: null };
const power: Point = {
  name: 'lamp_power',
  type: 'float',
  access: 'read',
  symbol: 'W',
  range: { min: 0, max: 400 },
};
const target = { district: 'north', gateway: 'gw-n', device: 'light-1' };

describe('hub page command helpers', () => {
  it('offers a switch for a writable boolean, a number input with range for a number, nothing for read-only', () => {
    expect(gz.controlFor(lamp)).toEqual({ kind: 'switch' });
    expect(gz.controlFor(dim)).toEqual({ kind: 'number', step: '1', min: 0, max: 100, unit: '%' });
    expect(gz.controlFor(speed)).toEqual({ kind: 'number', step: 'any', min: null, max: null, unit: 'rpm' });
    expect(gz.controlFor(power)).toBeNull();
    expect(gz.controlFor({ name: 'x', type: 'boolean', access: '' })).toBeNull();
    expect(gz.controlFor({ name: 'label', type: 'string', access: 'read-write' })).toBeNull();
  });

  it('reads the input against type and range, naming the point', () => {
    expect(gz.parseValue(dim, '60')).toEqual({ ok: true, value: 60 });
    expect(gz.parseValue(dim, ' 0 ')).toEqual({ ok: true, value: 0 });
    expect(gz.parseValue(dim, '101')).toEqual({ ok: false, error: 'dim_level: 101 is outside 0…100 %' });
    expect(gz.parseValue(dim, '-1')).toMatchObject({ ok: false });
    expect(gz.parseValue(dim, '12.5')).toEqual({ ok: false, error: 'dim_level: enter a whole number' });
    for (const bad of ['', 'abc', '1e', '0x10', 'Infinity', 'NaN', '1,5'])
      expect(gz.parseValue(dim, bad)).toEqual({ ok: false, error: 'dim_level: enter a number' });
    expect(gz.parseValue(speed, '1450.5')).toEqual({ ok: true, value: 1450.5 });
    expect(gz.parseValue(lamp, true)).toEqual({ ok: true, value: true });
    expect(gz.parseValue(lamp, 'true')).toMatchObject({ ok: false });
    expect(gz.parseValue(power, '3')).toEqual({ ok: false, error: 'lamp_power is not writable' });
  });

  it('confirms with device, point, old → new, gateway and district', () => {
    expect(gz.confirmText(target, lamp, false, true)).toBe(
      'Set lamp_on of device light-1 (gateway gw-n, district north): off → on?',
    );
    expect(gz.confirmText(target, dim, null, 60)).toBe(
      'Set dim_level of device light-1 (gateway gw-n, district north): unknown → 60 %?',
    );
  });

  it('builds HTTP Basic credentials as RFC 7617 §2 does (its example, and UTF-8 per §2.1)', () => {
    // RFC 7617 section 2: user "Aladdin", password "open sesame"
    expect(gz.basicAuth('Aladdin', 'open sesame')).toBe('Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==');
    // RFC 7617 section 2.1: user "test", password "123£" in UTF-8
    expect(gz.basicAuth('test', '123\u00A3')).toBe('Basic dGVzdDoxMjPCow==');
  });

  it('tells sign-in again (401), not your district (403) and the API message otherwise', () => {
    expect(gz.refusal(401, {}, 'north').kind).toBe('login');
    expect(gz.refusal(403, { message: 'x' }, 'north')).toEqual({
      kind: 'forbidden',
      message: 'Refused: district north is not one of your districts.',
    });
    expect(gz.refusal(400, { message: 'body.writes.0.value: 101 is outside' }, 'north').message).toBe(
      'The hub refused the command: body.writes.0.value: 101 is outside',
    );
    expect(gz.refusal(503, {}, 'north').kind).toBe('error');
    expect(gz.refusal(500, null, 'north').message).toBe('The hub answered 500');
  });

  it('reads each outcome of GET /api/commands/:id', () => {
    const view = (o: Record<string, unknown>[], state = 'done') => ({ state, expires: 1000, outcomes: o });
    const one = (o: Record<string, unknown>) =>
      view([
        { point: 'lamp_on', requested: true, readback: null, reason: null, code: null, repeat: false, ...o },
      ]);
    expect(gz.outcomeOf(view([], 'pending'), lamp, 900, 0)).toMatchObject({ state: 'pending' });
    expect(gz.outcomeOf(view([], 'pending'), lamp, 6001, 5000)).toMatchObject({ state: 'no-answer' });
    expect(gz.outcomeOf(one({ outcome: 'ok' }), lamp, 0, 0)).toEqual({
      state: 'ok',
      text: 'ok: lamp_on is on',
    });
    expect(gz.outcomeOf(one({ outcome: 'rejected', reason: 'out of range' }), lamp, 0, 0)).toEqual({
      state: 'rejected',
      text: 'rejected: out of range',
    });
    expect(gz.outcomeOf(one({ outcome: 'expired' }), lamp, 0, 0).state).toBe('expired');
    expect(gz.outcomeOf(one({ outcome: 'timeout' }), lamp, 0, 0).state).toBe('timeout');
    expect(gz.outcomeOf(one({ outcome: 'device-exception', code: '02' }), lamp, 0, 0).text).toBe(
      'device-exception: the device refused the write, code 02',
    );
    expect(
      gz.outcomeOf(
        view([{ point: 'dim_level', outcome: 'readback-mismatch', requested: 60, readback: 59, code: null }]),
        dim,
        0,
        0,
      ).text,
    ).toBe('readback-mismatch: wrote 60 %, read back 59 %');
    expect(gz.outcomeOf(one({ outcome: 'ok', repeat: true }), lamp, 0, 0).text).toContain('a repeat');
    // the gateway refused the whole command: no outcome for this point, but the command is done
    expect(
      gz.outcomeOf(
        view([{ point: 'other', outcome: 'rejected', commandReason: 'commands disabled' }]),
        lamp,
        0,
        0,
      ),
    ).toEqual({ state: 'rejected', text: 'rejected: commands disabled' });
    expect(gz.outcomeOf(one({ outcome: 'something-new' }), lamp, 0, 0).state).toBe('unknown');
  });
});

/**
 * Seeded generator of MQTT messages for the ingest payload fuzz: valid contract batches
 * (some with tricky but legal content, some with individual bad readings) interleaved with
 * malformed envelopes. Every item says what the ingest must do with it, so the test can
 * count exactly: `message` = dead-lettered as a whole, `badReadings` = readings
 * dead-lettered one by one, `rows` = what must be stored, `not-delivered` = a topic the
 * ingest does not subscribe to.
 */
import { BAD_IDS, BAD_POINTS, INJECTIONS, nest, okLevel, randomText } from './payload-strings.js';
import type { Rng } from './seeded-random.js';

export interface ExpectedRow {
  device: string;
  ts: number;
  point: string;
  value: number | null;
  text: string | null;
  quality: string;
  reason: string | null;
}

export interface FuzzItem {
  topic: string;
  payload: Buffer;
  expect: 'message' | 'stored' | 'ignored' | 'not-delivered';
  /** a short category name, for the statistics */
  label: string;
  /** readings of this (otherwise valid) data message that must be dead-lettered */
  badReadings: number;
  rows: ExpectedRow[];
}

const DAY = 86_400_000;
interface Gw {
  district: string;
  gateway: string;
  device: string;
  stream: string;
  seq: number;
}

export class PayloadGenerator {
  readonly gateways: Gw[] = [];
  private batchNo = 0;

  /** `t0`: the first valid reading's ts (ms); `now`: the ingest's clock at decode time */
  constructor(
    private readonly rng: Rng,
    private readonly t0: number,
    private readonly now: number,
  ) {
    for (let d = 0; d < 3; d++)
      for (let g = 0; g < 3; g++)
        this.gateways.push({
          district: `fz-d${d}`,
          gateway: `fz-g${d}${g}`,
          device: `dev-${g}`,
          stream: `s${rng.int(1e9).toString(36)}`,
          seq: 0,
        });
  }

  next(): FuzzItem {
    const r = this.rng.next();
    if (r < 0.4) return this.validBatch();
    if (r < 0.85) return this.malformedData();
    if (r < 0.9) return this.otherKinds();
    return this.badTopic();
  }

  private topic(g: Gw, kind = 'data'): string {
    return kind === 'state'
      ? `gz/v1/${g.district}/${g.gateway}/state`
      : `gz/v1/${g.district}/${g.gateway}/${g.device}/${kind}`;
  }

  /** A valid batch object (readings all good, unique points p0..), its expected rows. */
  private baseBatch(g: Gw, n: number): { batch: Record<string, unknown>; rows: ExpectedRow[]; ts: number } {
    const ts = this.t0 + this.batchNo++ * 10;
    const readings: Record<string, unknown>[] = [];
    const rows: ExpectedRow[] = [];
    for (let i = 0; i < n; i++) {
      const value = Math.round(this.rng.next() * 1e6) / 100;
      readings.push({ point: `p${i}`, value, ts, quality: 'good', unit: 'kW' });
      rows.push({ device: g.device, ts, point: `p${i}`, value, text: null, quality: 'good', reason: null });
    }
    const batch = {
      v: 1,
      district: g.district,
      gateway: g.gateway,
      device: g.device,
      model: 'eastron-sdm630',
      measurement: 'fuzz',
      stream: g.stream,
      seq: g.seq++,
      sent: ts,
      readings,
    };
    return { batch, rows, ts };
  }

  /** A legal reading with awkward content, and the row it must become. */
  private trickyReading(device: string, point: string, ts: number): [Record<string, unknown>, ExpectedRow] {
    const rng = this.rng;
    const flat = (s: string) => s.replace(/[\r\n]+/g, ' ');
    const row: ExpectedRow = { device, ts, point, value: null, text: null, quality: 'good', reason: null };
    const k = rng.int(6);
    let value: unknown;
    if (k === 0) {
      value = rng.pick(INJECTIONS);
      row.text = flat(value as string);
    } else if (k === 1) {
      value = randomText(rng, rng.int(1025));
      row.text = flat(value as string);
    } else if (k === 2) {
      value = rng.pick([
        0,
        -1,
        1e308,
        -1.7976931348623157e308,
        5e-324,
        2 ** 53,
        -(2 ** 53),
        1e21,
        1e-7,
        0.1 + 0.2,
        123456789.123456,
      ]);
      row.value = value as number;
    } else if (k === 3) {
      value = rng.chance(0.5);
      row.value = value ? 1 : 0;
    } else {
      // not good: with a value or null, and a reason that tries injection
      const quality = rng.pick(['bad', 'uncertain'] as const);
      row.quality = quality;
      const reason = rng.chance(0.2) ? undefined : rng.pick([...INJECTIONS, randomText(rng, 256)]);
      row.reason = reason === undefined ? 'unspecified' : flat(reason);
      value = quality === 'bad' && rng.chance(0.5) ? null : 42.5;
      row.value = value as number | null;
      const r: Record<string, unknown> = { point, value, ts, quality };
      if (reason !== undefined) r.reason = reason;
      return [r, row];
    }
    return [{ point, value, ts, quality: 'good', unit: rng.pick(['', 'µg/m³', 'a b,c=d', '"']) }, row];
  }

  /** A reading the contract must reject on its own (its neighbours are kept). */
  private badReading(ts: number): unknown {
    const rng = this.rng;
    const ok = { point: `q${rng.int(1000)}`, value: 1, ts, quality: 'good' };
    switch (rng.int(16)) {
      case 14:
        // would collide with the reason field of point q…
        return { ...ok, point: `${ok.point}_reason`, value: rng.pick(['open', 2, null]), quality: 'bad' };
      case 15:
        // a lone surrogate (JSON.stringify writes it as a \ud800 escape)
        return rng.chance(0.5)
          ? { ...ok, value: `lone ${rng.pick(['\ud800', '\udfff', '\udc00x'])}` }
          : { ...ok, quality: 'uncertain', reason: 'bad \udbff' };
      case 0:
        return { ...ok, point: rng.pick(BAD_POINTS) };
      case 1:
        return { ...ok, value: rng.pick([{}, [], { nested: [1] }, [1, 2]]) };
      case 2:
        return {
          ...ok,
          ts: rng.pick([0, -1, 946_684_799_999, ts + 0.5, this.now + DAY + 3_600_000, 8.64e15]),
        };
      case 3:
        return { ...ok, quality: rng.pick(['GOOD', 'ok', '', null, 1]) };
      case 4:
        return { ...ok, extra: 'field' };
      case 5:
        return { ...ok, value: 'x'.repeat(1025) };
      case 6:
        return { ...ok, value: null };
      case 7:
        return { ...ok, quality: 'bad', reason: 'r'.repeat(257) };
      case 8:
        return { ...ok, unit: 'u'.repeat(33) };
      case 9:
        return rng.pick([null, 5, 'reading', [], true]);
      case 10: {
        const { point: _p, ...noPoint } = ok;
        return noPoint;
      }
      case 11:
        return { ...ok, ts: String(ts) };
      case 12:
        return { ...ok, reason: 7 };
      default:
        return { ...ok, point: 'deep', value: nest(rng.int(2000) + 1) };
    }
  }

  private validBatch(): FuzzItem {
    const rng = this.rng;
    const g = rng.pick(this.gateways);
    const { batch, rows, ts } = this.baseBatch(g, 1 + rng.int(20));
    const readings = batch.readings as unknown[];
    let label = 'valid';
    if (rng.chance(0.5)) {
      label = 'valid-tricky';
      for (let i = 0, n = 1 + rng.int(4); i < n; i++) {
        const [r, row] = this.trickyReading(g.device, `t${i}`, ts);
        readings.push(r);
        rows.push(row);
      }
    }
    // numbers written as text the contract must refuse (1e400 parses as Infinity)
    const infinities = rng.chance(0.1) ? 1 + rng.int(2) : 0;
    let bad = infinities;
    if (rng.chance(0.3)) {
      label += '+bad-readings';
      for (let i = 0, n = 1 + rng.int(3); i < n; i++) {
        readings.splice(rng.int(readings.length + 1), 0, this.badReading(ts));
        bad++;
      }
    }
    if (rng.chance(0.05)) {
      // the same point again at the same ts: the later one is refused
      const first = readings.find((r) => (r as { point?: unknown } | null)?.point === 'p0') as object;
      readings.push({ ...first, value: -1, quality: rng.pick(['good', 'bad']) });
      bad++;
    }
    let text = JSON.stringify(batch);
    for (let i = 0; i < infinities; i++) {
      const inf = rng.pick(['1e400', '-1e400', '1E999']);
      text = text.replace(/\]\}$/, `,{"point":"inf${i}","value":${inf},"ts":${ts},"quality":"good"}]}`);
    }
    return {
      topic: this.topic(g),
      payload: Buffer.from(text),
      expect: 'stored',
      label,
      badReadings: bad,
      rows,
    };
  }

  private malformedData(): FuzzItem {
    const rng = this.rng;
    const g = rng.pick(this.gateways);
    const seqBefore = g.seq;
    const { batch } = this.baseBatch(g, 1 + rng.int(5));
    g.seq = seqBefore; // a refused batch does not consume the stream's sequence
    const m = (label: string, payload: Buffer | string): FuzzItem => ({
      topic: this.topic(g),
      payload: Buffer.isBuffer(payload) ? payload : Buffer.from(payload),
      expect: 'message',
      label,
      badReadings: 0,
      rows: [],
    });
    const text = JSON.stringify(batch);
    switch (rng.int(12)) {
      case 0:
        return m('truncated', text.slice(0, rng.int(text.length)));
      case 1: {
        const at = text.indexOf('"eastron-sdm630"') + 3;
        const b = Buffer.from(text);
        return m(
          'not-utf8',
          Buffer.concat([b.subarray(0, at), Buffer.from([0xff, 0xc3, 0x28]), b.subarray(at)]),
        );
      }
      case 2:
        return m(
          'not-json',
          rng.pick([
            '',
            'NaN',
            'Infinity',
            'undefined',
            '{v:1}',
            "{'v':1}",
            'not json at all',
            randomText(rng, 200),
            `${text},`,
            `${text}}`,
          ]),
        );
      case 3:
        return m('random-bytes', rng.bytes(1 + rng.int(512)));
      case 4:
        return m(
          'not-an-object',
          rng.pick(['[]', 'null', '42', '"batch"', 'true', `[${text}]`, '[[[[[[[[]]]]]]]]']),
        );
      case 5: {
        const field = rng.pick(Object.keys(batch));
        const { [field]: _dropped, ...rest } = batch;
        return m(`missing-${field}`, JSON.stringify(rest));
      }
      case 6: {
        const extra = rng.pick([
          '"extra":1',
          '"__proto__":{"polluted":true}',
          '"constructor":{"prototype":{}}',
          '"tags":{"evil":"1"}',
        ]);
        return m('extra-field', text.replace(/^\{/, `{${extra},`));
      }
      case 7: {
        const [field, bad] = rng.pick<[string, unknown]>([
          ['v', rng.pick([2, '1', null, 0, true])],
          ['district', rng.pick(BAD_IDS)],
          ['gateway', rng.pick(BAD_IDS)],
          ['device', rng.pick(BAD_IDS)],
          ['model', rng.pick(['Fuzz Meter', 'x=1 123\nevil,tag=1 f=1', '', 'τ-meter', 'm,evil=1'])],
          ['measurement', rng.pick(['energy meter', 'm,evil=1', 'Energy', '9m', 'm\nx', 'm"'])],
          ['stream', rng.pick(['', 'a b', '流', 's'.repeat(65), 's/1'])],
          ['seq', rng.pick([-1, 1.5, '7', null, 2 ** 53, {}])],
          ['sent', rng.pick([-1, 1.5, 'now', null])],
          ['readings', rng.pick([{}, 'x', null, 5])],
        ]);
        return m(`wrong-${field}`, JSON.stringify({ ...batch, [field]: bad }));
      }
      case 8: {
        const field = rng.pick(['seq', 'sent']);
        return m(`infinite-${field}`, text.replace(new RegExp(`"${field}":\\d+`), `"${field}":1e400`));
      }
      case 9: {
        // ids in the payload differ from the topic's (a gateway speaking for another)
        const other = rng.pick(this.gateways.filter((o) => o !== g));
        const field = rng.pick(['district', 'gateway', 'device'] as const);
        const forged = other[field] === g[field] ? `${g[field]}x` : other[field];
        return m(`ids-differ-${field}`, JSON.stringify({ ...batch, [field]: forged }));
      }
      case 10: {
        // more readings than the contract allows: refused as a whole
        const ts = batch.sent as number;
        const readings = Array.from({ length: 10_001 + rng.int(50) }, (_, i) => ({
          point: `p${i % 100}`,
          value: i,
          ts,
          quality: 'good',
        }));
        return rng.chance(0.02) ? m('huge-array', JSON.stringify({ ...batch, readings })) : m('empty', '');
      }
      default: {
        const depth = 1000 + rng.int(20_000);
        return m('deep-nesting', '['.repeat(depth) + ']'.repeat(depth));
      }
    }
  }

  /** state / meta / status: valid ones are ignored by the store, invalid ones dead-lettered */
  private otherKinds(): FuzzItem {
    const rng = this.rng;
    const g = rng.pick(this.gateways);
    const kind = rng.pick(['state', 'meta', 'status']);
    const ts = this.t0;
    const valid: Record<string, unknown> =
      kind === 'state'
        ? { v: 1, state: 'online', ts, agent: 'fuzz', devices: [g.device] }
        : kind === 'meta'
          ? {
              v: 1,
              profile: 'eastron-sdm630',
              profileVersion: '1.0.0',
              model: 'F',
              manufacturer: 'F',
              measurement: 'fuzz',
              points: [{ name: 'p0', type: 'float', unit: 'kW', access: 'read' }],
            }
          : { v: 1, state: 'up', ts, since: ts, counters: { cycles: 1 } };
    const item = (expect: FuzzItem['expect'], label: string, payload: string): FuzzItem => ({
      topic: this.topic(g, kind),
      payload: Buffer.from(payload),
      expect,
      label,
      badReadings: 0,
      rows: [],
    });
    if (rng.chance(0.3)) return item('ignored', `valid-${kind}`, JSON.stringify(valid));
    const bad = rng.pick([
      JSON.stringify({ ...valid, v: 2 }),
      JSON.stringify({ ...valid, extra: 1 }),
      JSON.stringify({ ...valid, ...(kind === 'meta' ? { points: [{ name: 'A b' }] } : { ts: -5 }) }),
      JSON.stringify({ ...valid, state: 'x=1 123\nevil,tag=1 f=1' }),
      'not json',
      JSON.stringify(valid).slice(0, -1),
    ]);
    return item('message', `bad-${kind}`, bad);
  }

  private badTopic(): FuzzItem {
    const rng = this.rng;
    const g = rng.pick(this.gateways);
    const seqBefore = g.seq;
    const { batch } = this.baseBatch(g, 2);
    g.seq = seqBefore;
    const payload = Buffer.from(JSON.stringify(batch));
    const item = (expect: FuzzItem['expect'], label: string, topic: string): FuzzItem => ({
      topic,
      payload,
      expect,
      label,
      badReadings: 0,
      rows: [],
    });
    // matched by the ingest's subscriptions (`+` levels) but not contract ids: dead-lettered
    const subscribed = [
      `gz/v1/${rng.pick(BAD_IDS.filter(okLevel))}/${g.gateway}/${g.device}/data`,
      `gz/v1/${g.district}/${rng.pick(BAD_IDS.filter(okLevel))}/${g.device}/data`,
      `gz/v1/${g.district}/${g.gateway}/${rng.pick(BAD_IDS.filter(okLevel))}/data`,
      `gz/v1/${g.district}/${g.gateway}/state/data`,
      `gz/v1/${g.district}/${g.gateway}/cmd/data`,
      `gz/v1/${g.district}/${g.gateway}/${g.device},evil=1/data`,
      `gz/v1/${g.district}/${g.gateway}/${g.device} x=1 123/data`,
    ];
    // outside the subscriptions: never delivered to the ingest
    const outside = [
      `gz/v2/${g.district}/${g.gateway}/${g.device}/data`,
      `gz/v1/${g.district}/${g.gateway}/${g.device}/data/extra`,
      `gz/v1/${g.district}/${g.gateway}/cmd`,
      `other/${g.district}/${g.gateway}/${g.device}/data`,
      `gz/v1/${g.district}/${g.device}/data`,
    ];
    // a device's command topic: the ingest audits commands (issue 15), so a data batch there is
    // delivered (this broker has no command check; ours drops it) and dead-lettered as a command
    if (rng.chance(0.1))
      return item('message', 'bad-command', `gz/v1/${g.district}/${g.gateway}/${g.device}/cmd`);
    return rng.chance(0.6)
      ? item('message', 'bad-topic', rng.pick(subscribed))
      : item('not-delivered', 'topic-outside-contract', rng.pick(outside));
  }
}

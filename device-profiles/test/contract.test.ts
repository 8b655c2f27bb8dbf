import { describe, expect, it } from 'vitest';
import {
  batchMatchesTopic,
  type DataBatch,
  decodeDataBatch,
  decodeDeviceMeta,
  decodeGatewayState,
  deviceTopic,
  encodeDataBatch,
  encodeGatewayState,
  gatewayTopic,
  ingestFilters,
  LIMITS,
  parseTopic,
  TopicError,
  toLineProtocol,
  topicMatches,
} from '../src/index.js';

const T0 = 1_764_200_000_000; // 2025-11-26T23:33:20Z

function batch(overrides: Partial<DataBatch> = {}): DataBatch {
  return {
    v: 1,
    district: 'dongcheng',
    gateway: 'gw-01',
    device: 'meter-1',
    model: 'eastron-sdm630',
    measurement: 'energy_meter',
    stream: 'Zq3x9',
    seq: 42,
    sent: T0 + 1000,
    readings: [
      { point: 'voltage_l1', value: 230.1, ts: T0, quality: 'good' },
      { point: 'frequency', value: 50, ts: T0, quality: 'good' },
    ],
    ...overrides,
  };
}

describe('topic grammar', () => {
  it('builds and parses every topic kind', () => {
    expect(gatewayTopic('dongcheng', 'gw-01', 'state')).toBe('gz/v1/dongcheng/gw-01/state');
    expect(deviceTopic('dongcheng', 'gw-01', 'meter-1', 'data')).toBe('gz/v1/dongcheng/gw-01/meter-1/data');
    expect(parseTopic('gz/v1/dongcheng/gw-01/state')).toEqual({
      scope: 'gateway',
      district: 'dongcheng',
      gateway: 'gw-01',
      kind: 'state',
    });
    expect(parseTopic('gz/v1/dongcheng/gw-01/meter-1/status')).toEqual({
      scope: 'device',
      district: 'dongcheng',
      gateway: 'gw-01',
      device: 'meter-1',
      kind: 'status',
    });
  });

  it('refuses ids that could smuggle wildcards, separators or upper case', () => {
    for (const bad of ['a/b', '+', '#', 'Gw1', '', '-x', 'x'.repeat(65)]) {
      expect(() => gatewayTopic('d1', bad, 'state')).toThrow(TopicError);
    }
    expect(() => deviceTopic('d1', 'g1', 'state', 'data')).toThrow(/reserved/);
    expect(() => deviceTopic('d1', 'g1', 'cmd', 'meta')).toThrow(/reserved/);
  });

  it('does not parse topics outside the contract', () => {
    for (const t of [
      'gz/v2/d/g/state',
      'gz/v1/d/g/unknown',
      'gz/v1/d/g/dev/unknown',
      'gz/v1/d/g/state/data',
      'gz/v1/D/g/state',
      'gz/v1/d/g',
      'gz/v1/d/g/dev/data/extra',
      'x/v1/d/g/state',
    ]) {
      expect(parseTopic(t), t).toBeUndefined();
    }
  });

  it('matches filters per MQTT 3.1.1 §4.7', () => {
    expect(topicMatches('gz/v1/+/+/+/data', 'gz/v1/d/g/dev/data')).toBe(true);
    expect(topicMatches('gz/v1/d/#', 'gz/v1/d')).toBe(true);
    expect(topicMatches('gz/v1/d/#', 'gz/v1/d/g/state')).toBe(true);
    expect(topicMatches('gz/v1/d/+', 'gz/v1/d/g/state')).toBe(false);
    expect(topicMatches('gz/v1/d1/#', 'gz/v1/d2/g/state')).toBe(false);
    expect(topicMatches('#', '$SYS/broker/uptime')).toBe(false);
    expect(topicMatches('+/broker/uptime', '$SYS/broker/uptime')).toBe(false);
    expect(topicMatches('$SYS/#', '$SYS/broker/uptime')).toBe(true);
  });

  it('gives the ingest filters for all or some districts', () => {
    expect(ingestFilters()).toContain('gz/v1/+/+/+/data');
    expect(ingestFilters()).toContain('gz/v1/+/+/+/cmd'); // the command audit (issue 15)
    expect(ingestFilters()).toContain('gz/v1/+/+/config'); // the fleet audit (issue 16)
    expect(ingestFilters()).toContain('gz/v1/+/+/config-state');
    expect(ingestFilters()).toContain('gz/v1/+/+/+/result');
    const some = ingestFilters(['dongcheng']);
    expect(some).toHaveLength(8);
    expect(some.every((f) => f.startsWith('gz/v1/dongcheng/'))).toBe(true);
  });
});

describe('data batch envelope', () => {
  it('round-trips a valid batch', () => {
    const b = batch();
    const d = decodeDataBatch(encodeDataBatch(b), { now: T0 });
    expect(d).toEqual({ ok: true, value: b, rejected: [] });
  });

  it('refuses a bad header with a reason naming the field', () => {
    const cases: [unknown, RegExp][] = [
      [{ ...batch(), v: 2 }, /^v:/],
      [{ ...batch(), seq: -1 }, /^seq:/],
      [{ ...batch(), gateway: 'GW/1' }, /^gateway:/],
      [{ ...batch(), extra: 1 }, /extra|additional/i],
      [{ ...batch(), readings: 'x' }, /^readings:/],
    ];
    for (const [b, re] of cases) {
      const d = decodeDataBatch(JSON.stringify(b), { now: T0 });
      expect(d.ok).toBe(false);
      if (!d.ok) expect(d.error).toMatch(re);
    }
  });

  it('refuses non-JSON, non-UTF-8 and oversized batches', () => {
    expect(decodeDataBatch('{"v":1,', { now: T0 }).ok).toBe(false);
    const d = decodeDataBatch(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), { now: T0 });
    expect(d).toEqual({ ok: false, error: 'payload is not valid UTF-8' });
    const many = Array.from({ length: LIMITS.maxReadings + 1 }, () => ({
      point: 'x',
      value: 1,
      ts: T0,
      quality: 'good',
    }));
    const big = decodeDataBatch(JSON.stringify({ ...batch(), readings: many }), { now: T0 });
    expect(big.ok).toBe(false);
  });

  it('rejects a bad reading but keeps its valid neighbours', () => {
    const text = JSON.stringify(batch()).replace(
      '"readings":[',
      '"readings":[{"point":"p_inf","value":1e400,"ts":1764200000000,"quality":"good"},' +
        '{"point":"future","value":1,"ts":9999999999999,"quality":"good"},' +
        '{"point":"Bad Name","value":1,"ts":1764200000000,"quality":"good"},' +
        '{"point":"nullgood","value":null,"ts":1764200000000,"quality":"good"},' +
        '{"point":"old","value":1,"ts":5,"quality":"good"},',
    );
    const d = decodeDataBatch(text, { now: T0 });
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    expect(d.value.readings.map((r) => r.point)).toEqual(['voltage_l1', 'frequency']);
    expect(d.rejected.map((r) => [r.index, r.point])).toEqual([
      [0, 'p_inf'],
      [1, 'future'],
      [2, 'Bad Name'],
      [3, 'nullgood'],
      [4, 'old'],
    ]);
    expect(d.rejected[0]?.reason).toMatch(/finite/);
    expect(d.rejected[1]?.reason).toMatch(/future/);
    expect(d.rejected[2]?.reason).toMatch(/^point:/);
  });

  it('will not let a gateway encode what the hub would reject', () => {
    expect(() =>
      encodeDataBatch(batch({ readings: [{ point: 'x', value: Number.NaN, ts: T0, quality: 'good' }] })),
    ).toThrow(/finite/);
    expect(() => encodeGatewayState({ v: 1, state: 'online', ts: -1 })).toThrow(/ts/);
  });

  it('decodes state and meta envelopes', () => {
    expect(decodeGatewayState('{"v":1,"state":"offline","ts":1}').ok).toBe(true);
    expect(decodeGatewayState('{"v":1,"state":"gone","ts":1}').ok).toBe(false);
    const meta = {
      v: 1,
      profile: 'eastron-sdm630',
      profileVersion: '1.0.0',
      model: 'SDM630',
      manufacturer: 'Eastron',
      measurement: 'energy_meter',
      points: [{ name: 'voltage_l1', type: 'float', unit: 'V', access: 'read' }],
    };
    expect(decodeDeviceMeta(JSON.stringify(meta)).ok).toBe(true);
  });
});

describe('InfluxDB mapping', () => {
  const ids = { district: 'dongcheng', gateway: 'gw-01', device: 'meter-1' };

  it('writes one line per timestamp and quality, tags sorted, numbers as floats, ms time', () => {
    const b = batch({
      readings: [
        { point: 'voltage_l1', value: 230.1, ts: T0, quality: 'good' },
        { point: 'frequency', value: 50, ts: T0, quality: 'good' },
        { point: 'relay', value: true, ts: T0 + 1000, quality: 'good' },
        { point: 'current_l1', value: null, ts: T0 + 1000, quality: 'bad', reason: 'modbus exception 02' },
        { point: 'label', value: 'say "hi"\\', ts: T0 + 1000, quality: 'uncertain', reason: 'stale' },
      ],
    });
    const out = toLineProtocol(b, ids);
    expect(out.lines).toEqual([
      'energy_meter,device=meter-1,district=dongcheng,gateway=gw-01,model=eastron-sdm630,quality=good voltage_l1=230.1,frequency=50 1764200000000',
      'energy_meter,device=meter-1,district=dongcheng,gateway=gw-01,model=eastron-sdm630,quality=good relay=true 1764200001000',
      'energy_meter,device=meter-1,district=dongcheng,gateway=gw-01,model=eastron-sdm630,quality=bad current_l1_reason="modbus exception 02" 1764200001000',
      'energy_meter,device=meter-1,district=dongcheng,gateway=gw-01,model=eastron-sdm630,quality=uncertain label="say \\"hi\\"\\\\",label_reason="stale" 1764200001000',
    ]);
    expect(out.points).toBe(4);
    expect(out.rejected).toEqual([]);
  });

  it('maps a redelivered batch to identical lines (idempotent storage)', () => {
    const a = toLineProtocol(batch(), ids).lines;
    const again = toLineProtocol(batch({ seq: 42, sent: T0 + 99_000 }), ids).lines;
    expect(again).toEqual(a);
  });

  it('takes tags from the topic ids, and detects a payload speaking for another gateway', () => {
    const spoof = batch({ gateway: 'gw-02' });
    expect(batchMatchesTopic(spoof, ids)).toBe(false);
    expect(batchMatchesTopic(batch(), ids)).toBe(true);
  });
});

/**
 * A small city for the hub tests, published as real contract messages: built with the
 * contract encoders, fed through the topic parser and decoders (feedHubSource).
 *
 *   dongcheng/gw-01  online   meter-1 (eastron-sdm630, up), aq-1 (air-quality-rs485, degraded)
 *   dongcheng/gw-02  offline  (birth then will)  meter-2 (down)
 *   xicheng/gw-03    online   meter-3 (up)
 */
import {
  type DataBatch,
  deviceMetaOf,
  deviceTopic,
  encodeDataBatch,
  encodeDeviceMeta,
  encodeDeviceStatus,
  encodeGatewayState,
  gatewayTopic,
  ProfileRegistry,
} from '@ganzhi/device-profiles';
import { expect } from 'vitest';
import { feedHubSource } from '../src/hub/feed.js';
import type { MemoryHubSource } from '../src/hub/memory-source.js';

export class City {
  private seqs = new Map<string, number>();
  constructor(
    readonly source: MemoryHubSource,
    private readonly now: () => number,
  ) {}

  publish(topic: string, payload: Buffer): void {
    const r = feedHubSource(this.source, topic, payload, this.now());
    expect(r, topic).toEqual({ ok: true });
  }

  birth(district: string, gateway: string, devices: string[]): void {
    const s = {
      v: 1 as const,
      state: 'online' as const,
      ts: this.now(),
      agent: 'ganzhi-agent',
      version: '0.1.0',
    };
    this.publish(
      gatewayTopic(district, gateway, 'state'),
      encodeGatewayState({ ...s, devices, stream: `s-${gateway}` }),
    );
  }

  will(district: string, gateway: string): void {
    this.publish(
      gatewayTopic(district, gateway, 'state'),
      encodeGatewayState({ v: 1, state: 'offline', ts: this.now() }),
    );
  }

  meta(district: string, gateway: string, device: string, profileId: string): void {
    const p = ProfileRegistry.builtin().get(profileId);
    if (!p) throw new Error(`no builtin profile ${profileId}`);
    this.publish(deviceTopic(district, gateway, device, 'meta'), encodeDeviceMeta(deviceMetaOf(p)));
  }

  status(district: string, gateway: string, device: string, state: 'up' | 'degraded' | 'down'): void {
    const t = this.now();
    this.publish(
      deviceTopic(district, gateway, device, 'status'),
      encodeDeviceStatus({
        v: 1,
        state,
        ts: t,
        since: t,
        ...(state === 'up' ? {} : { lastError: 'timeout' }),
      }),
    );
  }

  /** One batch; `seq` defaults to the gateway's next one. */
  data(
    ids: { district: string; gateway: string; device: string },
    model: string,
    measurement: string,
    readings: DataBatch['readings'],
    seq?: number,
  ): number {
    const k = `${ids.district}/${ids.gateway}`;
    const s = seq ?? this.seqs.get(k) ?? 0;
    this.seqs.set(k, Math.max(this.seqs.get(k) ?? 0, s + 1));
    const batch: DataBatch = {
      v: 1,
      ...ids,
      model,
      measurement,
      stream: `s-${ids.gateway}`,
      seq: s,
      sent: this.now(),
      readings,
    };
    this.publish(deviceTopic(ids.district, ids.gateway, ids.device, 'data'), encodeDataBatch(batch));
    return s;
  }

  voltage(
    ids: { district: string; gateway: string; device: string },
    value: number,
    ts = this.now(),
    seq?: number,
  ) {
    return this.data(
      ids,
      'eastron-sdm630',
      'energy_meter',
      [
        { point: 'voltage_l1', value, ts, quality: 'good' },
        {
          point: 'current_l1',
          value: null,
          ts,
          quality: 'bad',
          reason: 'modbus exception 02 (illegal data address)',
        },
      ],
      seq,
    );
  }

  /** The standard city: see the file comment. */
  build(): void {
    this.birth('dongcheng', 'gw-01', ['meter-1', 'aq-1']);
    this.meta('dongcheng', 'gw-01', 'meter-1', 'eastron-sdm630');
    this.meta('dongcheng', 'gw-01', 'aq-1', 'air-quality-rs485');
    this.status('dongcheng', 'gw-01', 'meter-1', 'up');
    this.status('dongcheng', 'gw-01', 'aq-1', 'degraded');
    this.birth('dongcheng', 'gw-02', ['meter-2']);
    this.meta('dongcheng', 'gw-02', 'meter-2', 'eastron-sdm630');
    this.status('dongcheng', 'gw-02', 'meter-2', 'down');
    this.will('dongcheng', 'gw-02');
    this.birth('xicheng', 'gw-03', ['meter-3']);
    this.meta('xicheng', 'gw-03', 'meter-3', 'eastron-sdm120');
    this.status('xicheng', 'gw-03', 'meter-3', 'up');
  }
}

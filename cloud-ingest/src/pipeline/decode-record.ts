/**
 * One log record → line protocol, dead letters and a completeness observation. Pure apart
 * from its arguments: the writer decides what to do with the outcome.
 */
import {
  batchMatchesTopic,
  type DataBatch,
  type DeviceMeta,
  type DeviceStatus,
  decodeDataBatch,
  decodeDeviceMeta,
  decodeDeviceStatus,
  decodeGatewayState,
  type GatewayState,
  type ParsedTopic,
  parseTopic,
  type TopicIds,
  toLineProtocol,
} from '@ganzhi/device-profiles/contract';
import { fastDataBatch } from '../fast-path/fast-batch.js';
import type { DeadLetter } from './dead-letter.js';
import { decodeLogRecord } from './log-record.js';

export interface RecordOutcome {
  lines: string[];
  points: number;
  deadLetters: DeadLetter[];
  /** set for a valid data batch */
  seq?: { district: string; gateway: string; stream: string; seq: number };
  /** set for a valid gateway state message */
  state?: { district: string; gateway: string; online: boolean };
  /** the decoded contract message, for observers such as the hub page */
  message?: DecodedMessage;
}

export type DecodedMessage =
  | { kind: 'state'; ids: { district: string; gateway: string }; value: GatewayState }
  | { kind: 'meta'; ids: TopicIds; value: DeviceMeta }
  | { kind: 'status'; ids: TopicIds; value: DeviceStatus }
  | { kind: 'data'; ids: TopicIds; value: DataBatch };

const none = (dl: DeadLetter): RecordOutcome => ({ lines: [], points: 0, deadLetters: [dl] });

export interface DecodeRecordOptions {
  /** try the one-pass path for clean data batches first (default true; false = reference path only) */
  fast?: boolean;
}

/** Parsed topics by topic string: a gateway's topics repeat in every message. */
const TOPICS_CACHED = 10_000;
const topics = new Map<string, ParsedTopic | undefined>();

function parseTopicCached(topic: string): ParsedTopic | undefined {
  let t = topics.get(topic);
  if (t === undefined && !topics.has(topic)) {
    t = parseTopic(topic);
    if (topics.size >= TOPICS_CACHED) topics.clear();
    topics.set(topic, t);
  }
  return t;
}

export function decodeRecord(raw: Buffer, now: number, opts: DecodeRecordOptions = {}): RecordOutcome {
  const rec = decodeLogRecord(raw);
  if (!rec) return none({ kind: 'message', reason: 'corrupt log record', payload: raw });
  return decodeMessage(rec.topic, rec.payload, now, opts);
}

/** One message (the topic and payload of a log record) → its outcome. */
export function decodeMessage(
  topic: string,
  payload: Buffer,
  now: number,
  opts: DecodeRecordOptions = {},
): RecordOutcome {
  const t = parseTopicCached(topic);
  if (!t) return none({ kind: 'message', reason: 'topic is not in contract v1', topic, payload });
  if (t.scope === 'gateway') {
    if (t.kind !== 'state') return { lines: [], points: 0, deadLetters: [] };
    const s = decodeGatewayState(payload);
    if (!s.ok) return none({ kind: 'message', reason: s.error, topic, payload });
    return {
      lines: [],
      points: 0,
      deadLetters: [],
      state: { district: t.district, gateway: t.gateway, online: s.value.state === 'online' },
      message: { kind: 'state', ids: { district: t.district, gateway: t.gateway }, value: s.value },
    };
  }
  switch (t.kind) {
    case 'data': {
      const ids = { district: t.district, gateway: t.gateway, device: t.device };
      const fast = opts.fast === false ? undefined : fastDataBatch(payload, ids, now);
      if (fast !== undefined) {
        const { batch } = fast;
        return {
          lines: fast.lines,
          points: fast.points,
          deadLetters: [],
          seq: { district: t.district, gateway: t.gateway, stream: batch.stream, seq: batch.seq },
          message: { kind: 'data', ids, value: batch },
        };
      }
      const d = decodeDataBatch(payload, { now });
      if (!d.ok) return none({ kind: 'message', reason: d.error, topic, payload });
      const batch = d.value;
      if (!batchMatchesTopic(batch, ids)) {
        return none({ kind: 'message', reason: 'payload ids differ from the topic', topic, payload });
      }
      const lp = toLineProtocol(batch, ids);
      const deadLetters: DeadLetter[] = [];
      for (const r of d.rejected)
        deadLetters.push({ kind: 'reading', reason: r.reason, point: r.point, topic });
      for (const r of lp.rejected)
        deadLetters.push({ kind: 'reading', reason: r.reason, point: r.point, topic });
      return {
        lines: lp.lines,
        points: lp.points,
        deadLetters,
        seq: { district: t.district, gateway: t.gateway, stream: batch.stream, seq: batch.seq },
        message: { kind: 'data', ids, value: batch },
      };
    }
    case 'meta': {
      const m = decodeDeviceMeta(payload);
      return m.ok
        ? { lines: [], points: 0, deadLetters: [], message: { kind: 'meta', ids: { ...t }, value: m.value } }
        : none({ kind: 'message', reason: m.error, topic, payload });
    }
    case 'status': {
      const s = decodeDeviceStatus(payload);
      return s.ok
        ? {
            lines: [],
            points: 0,
            deadLetters: [],
            message: { kind: 'status', ids: { ...t }, value: s.value },
          }
        : none({ kind: 'message', reason: s.error, topic, payload });
    }
    default:
      return { lines: [], points: 0, deadLetters: [] };
  }
}

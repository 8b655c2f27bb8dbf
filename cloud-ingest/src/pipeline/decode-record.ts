/**
 * One log record → line protocol, dead letters and a completeness observation. Pure apart
 * from its arguments: the writer decides what to do with the outcome.
 */
import {
  batchMatchesTopic,
  type CommandRequest,
  type CommandResult,
  type ConfigState,
  type DataBatch,
  type DesiredConfig,
  type DeviceMeta,
  type DeviceStatus,
  decodeCommandRequest,
  decodeCommandResult,
  decodeConfigState,
  decodeDataBatch,
  decodeDesiredConfig,
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

/** The `model` tag of a batch whose `model` is not a profile the ingest knows. */
export const UNKNOWN_MODEL = 'unknown';

/** The reason of a message whose payload speaks for other ids than its topic (a spoof). */
export const IDS_DIFFER = 'payload ids differ from the topic';

export interface RecordOutcome {
  lines: string[];
  points: number;
  deadLetters: DeadLetter[];
  /** the district and gateway of the topic, when it is a contract topic (who sent it) */
  from?: { district: string; gateway: string };
  /** set for a valid data batch */
  seq?: { district: string; gateway: string; stream: string; seq: number };
  /** set for a valid gateway state message */
  state?: { district: string; gateway: string; online: boolean };
  /** the decoded contract message, for observers such as the hub page */
  message?: DecodedMessage;
  /** the profile id a batch or meta named that is not a known profile (it is tagged `unknown`) */
  unknownModel?: string;
}

export type DecodedMessage =
  | { kind: 'state'; ids: { district: string; gateway: string }; value: GatewayState }
  | { kind: 'meta'; ids: TopicIds; value: DeviceMeta }
  | { kind: 'status'; ids: TopicIds; value: DeviceStatus }
  | { kind: 'data'; ids: TopicIds; value: DataBatch }
  /** a command as the broker delivered it (issuer stamped by the broker), for the audit */
  | { kind: 'cmd'; ids: TopicIds; value: CommandRequest }
  /** a gateway's answer to a device command, for the audit */
  | { kind: 'result'; ids: TopicIds; value: CommandResult }
  /** a desired config as the broker delivered it (issuer stamped by the broker), for the fleet audit */
  | { kind: 'config'; ids: { district: string; gateway: string }; value: DesiredConfig }
  /** a gateway's report of the config it runs and its last apply's outcome, for the fleet audit */
  | { kind: 'config-state'; ids: { district: string; gateway: string }; value: ConfigState };

const none = (dl: DeadLetter, from?: RecordOutcome['from']): RecordOutcome => ({
  lines: [],
  points: 0,
  deadLetters: [dl],
  ...(from ? { from } : {}),
});

export interface DecodeRecordOptions {
  /** try the one-pass path for clean data batches first (default true; false = reference path only) */
  fast?: boolean;
  /**
   * Whether a profile id is one the ingest knows (its profile registry). A batch's `model`
   * becomes the `model` tag only then; any other value is tagged `unknown`, so a gateway
   * cannot make series by inventing models. Absent: every valid profile id is taken as is.
   */
  knownModel?: (profileId: string) => boolean;
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
  const from = { district: t.district, gateway: t.gateway };
  if (t.scope === 'gateway') {
    if (t.kind === 'config') {
      // an empty retained payload is an admin clearing the desired config: nothing to audit
      if (payload.length === 0) return { lines: [], points: 0, deadLetters: [], from };
      const c = decodeDesiredConfig(payload);
      // no payload in the dead letter: a refused desired config may hold an inline secret
      if (!c.ok) return none({ kind: 'message', reason: `desired config: ${c.error}`, topic }, from);
      return {
        lines: [],
        points: 0,
        deadLetters: [],
        from,
        message: { kind: 'config', ids: from, value: c.value },
      };
    }
    if (t.kind === 'config-state') {
      const c = decodeConfigState(payload);
      if (!c.ok) return none({ kind: 'message', reason: `config state: ${c.error}`, topic, payload }, from);
      return {
        lines: [],
        points: 0,
        deadLetters: [],
        from,
        message: { kind: 'config-state', ids: from, value: c.value },
      };
    }
    if (t.kind !== 'state') return { lines: [], points: 0, deadLetters: [], from };
    const s = decodeGatewayState(payload);
    if (!s.ok) return none({ kind: 'message', reason: s.error, topic, payload }, from);
    return {
      lines: [],
      points: 0,
      deadLetters: [],
      from,
      state: { district: t.district, gateway: t.gateway, online: s.value.state === 'online' },
      message: { kind: 'state', ids: from, value: s.value },
    };
  }
  const known = opts.knownModel;
  switch (t.kind) {
    case 'data': {
      const ids = { district: t.district, gateway: t.gateway, device: t.device };
      const fast = opts.fast === false ? undefined : fastDataBatch(payload, ids, now);
      if (fast !== undefined) {
        const seq = {
          district: t.district,
          gateway: t.gateway,
          stream: fast.batch.stream,
          seq: fast.batch.seq,
        };
        if (known === undefined || known(fast.batch.model)) {
          return {
            lines: fast.lines,
            points: fast.points,
            deadLetters: [],
            from,
            seq,
            message: { kind: 'data', ids, value: fast.batch },
          };
        }
        // rare: the reference mapping of the same clean batch under the fallback tag
        const batch = { ...fast.batch, model: UNKNOWN_MODEL };
        const lp = toLineProtocol(batch, ids);
        return {
          lines: lp.lines,
          points: lp.points,
          deadLetters: [],
          from,
          seq,
          message: { kind: 'data', ids, value: batch },
          unknownModel: fast.batch.model,
        };
      }
      const d = decodeDataBatch(payload, { now });
      if (!d.ok) return none({ kind: 'message', reason: d.error, topic, payload }, from);
      let batch = d.value;
      if (!batchMatchesTopic(batch, ids))
        return none({ kind: 'message', reason: IDS_DIFFER, topic, payload }, from);
      let unknownModel: string | undefined;
      if (known !== undefined && !known(batch.model)) {
        unknownModel = batch.model;
        batch = { ...batch, model: UNKNOWN_MODEL };
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
        from,
        seq: { district: t.district, gateway: t.gateway, stream: batch.stream, seq: batch.seq },
        message: { kind: 'data', ids, value: batch },
        ...(unknownModel === undefined ? {} : { unknownModel }),
      };
    }
    case 'meta': {
      const m = decodeDeviceMeta(payload);
      if (!m.ok) return none({ kind: 'message', reason: m.error, topic, payload }, from);
      const ids = { district: t.district, gateway: t.gateway, device: t.device };
      if (known !== undefined && !known(m.value.profile)) {
        return {
          lines: [],
          points: 0,
          deadLetters: [],
          from,
          message: { kind: 'meta', ids, value: { ...m.value, profile: UNKNOWN_MODEL } },
          unknownModel: m.value.profile,
        };
      }
      return { lines: [], points: 0, deadLetters: [], from, message: { kind: 'meta', ids, value: m.value } };
    }
    case 'status': {
      const s = decodeDeviceStatus(payload);
      if (!s.ok) return none({ kind: 'message', reason: s.error, topic, payload }, from);
      const ids = { district: t.district, gateway: t.gateway, device: t.device };
      return {
        lines: [],
        points: 0,
        deadLetters: [],
        from,
        message: { kind: 'status', ids, value: s.value },
      };
    }
    case 'cmd': {
      const c = decodeCommandRequest(payload);
      if (!c.ok) return none({ kind: 'message', reason: `command: ${c.error}`, topic, payload }, from);
      const ids = { district: t.district, gateway: t.gateway, device: t.device };
      return { lines: [], points: 0, deadLetters: [], from, message: { kind: 'cmd', ids, value: c.value } };
    }
    case 'result': {
      const r = decodeCommandResult(payload);
      if (!r.ok) return none({ kind: 'message', reason: `command result: ${r.error}`, topic, payload }, from);
      // a gateway answers for the device of its topic only
      if (r.value.device !== t.device)
        return none({ kind: 'message', reason: IDS_DIFFER, topic, payload }, from);
      const ids = { district: t.district, gateway: t.gateway, device: t.device };
      return {
        lines: [],
        points: 0,
        deadLetters: [],
        from,
        message: { kind: 'result', ids, value: r.value },
      };
    }
    default:
      return { lines: [], points: 0, deadLetters: [], from };
  }
}

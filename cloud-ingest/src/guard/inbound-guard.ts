/**
 * The ingest's guard over what gateways send: after a message is decoded and before anything
 * of it is stored or remembered, the per-gateway limits screen it (gateway-limits.ts), and
 * every refusal or distrusted value — a malformed message, a payload speaking for other ids
 * than its topic, a limit reached, an unknown profile id, a seq reset — is counted on
 * /metrics and logged, rate-limited, as who (district/gateway/device from the topic), what
 * and why (event-log.ts).
 */
import { parseTopic } from '@ganzhi/device-profiles/contract';
import type { IngestMetrics } from '../metrics.js';
import { type DecodeRecordOptions, IDS_DIFFER, type RecordOutcome } from '../pipeline/decode-record.js';
import type { EventLog, EventWho } from './event-log.js';
import type { GatewayLimits } from './gateway-limits.js';

export interface InboundGuardOptions {
  limits: GatewayLimits;
  events: EventLog;
  metrics: IngestMetrics;
  /** the profile registry's `has`: other model values are tagged `unknown` */
  knownModel?: (profileId: string) => boolean;
}

const KINDS = new Set(['data', 'meta', 'status', 'state', 'cmd', 'result']);

/** Who sent a message on `topic`, from the topic alone (never from the payload). */
function whoOf(topic: string): EventWho {
  const t = parseTopic(topic);
  if (t === undefined) return {};
  return t.scope === 'device'
    ? { district: t.district, gateway: t.gateway, device: t.device }
    : { district: t.district, gateway: t.gateway };
}

/** `data message`, `meta message`, … from the topic's last level (never the topic text itself). */
function whatOf(topic: string): string {
  const last = topic.slice(topic.lastIndexOf('/') + 1);
  return KINDS.has(last) ? `${last} message` : 'message on a topic outside the contract';
}

export class InboundGuard {
  readonly decode: DecodeRecordOptions;

  constructor(private readonly o: InboundGuardOptions) {
    this.decode = o.knownModel ? { knownModel: o.knownModel } : {};
  }

  /** Screens one decoded message and reports what it refused or distrusted; returns what to act on. */
  screen(decoded: RecordOutcome, topic: string, payload: Uint8Array): RecordOutcome {
    const { events, metrics } = this.o;
    const { out, refusals } = this.o.limits.screen(decoded, topic, payload);
    for (const r of refusals) {
      metrics.limitRefusals.inc(1, { limit: r.limit });
      events.report('limit', whoOf(topic), `${whatOf(topic)} refused`, r.reason);
    }
    if (decoded.unknownModel !== undefined && refusals.length === 0) {
      metrics.unknownModels.inc();
      events.report(
        'unknown-model',
        whoOf(topic),
        `${whatOf(topic)} stored with model=unknown`,
        `"${decoded.unknownModel}" is not a profile the ingest knows (profiles.dirs)`,
      );
    }
    let readings = 0;
    let readingWhy = '';
    for (const d of decoded.deadLetters) {
      if (d.kind === 'message') {
        const kind = d.reason === IDS_DIFFER ? 'identity-mismatch' : 'malformed';
        events.report(kind, whoOf(topic), `${whatOf(topic)} refused`, d.reason);
      } else if (d.kind === 'reading') {
        readings++;
        readingWhy ||= `${d.point}: ${d.reason}`;
      }
    }
    if (readings > 0)
      events.report(
        'malformed',
        whoOf(topic),
        `${readings} reading${readings === 1 ? '' : 's'} of a data message refused`,
        readingWhy,
      );
    return out;
  }

  /** A completeness observation came back as a reset (the seq jumped past the window). */
  streamReset(district: string, gateway: string, stream: string, seq: number): void {
    this.o.metrics.streamResets.inc();
    this.o.events.report(
      'stream-reset',
      { district, gateway },
      `seq ${seq} of stream ${stream}`,
      'beyond completeness.maxSeqJump of the seqs seen: counted as a reset, not as missing batches',
    );
  }
}

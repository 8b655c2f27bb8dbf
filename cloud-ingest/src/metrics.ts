/**
 * The ingest's Prometheus metrics (text exposition format 0.0.4), kept in one small
 * registry with no dependency. Counters and histograms are updated by the pipeline;
 * gauges are read when /metrics is scraped.
 */
type Labels = Record<string, string>;

const labelText = (l: Labels | undefined): string => {
  if (!l) return '';
  const parts = Object.entries(l).map(
    ([k, v]) => `${k}="${v.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`,
  );
  return parts.length ? `{${parts.join(',')}}` : '';
};

export class Counter {
  private values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(by = 1, labels?: Labels): void {
    const k = labelText(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }
  get(labels?: Labels): number {
    return this.values.get(labelText(labels)) ?? 0;
  }
  render(): string {
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} counter\n`;
    if (this.values.size === 0) out += `${this.name} 0\n`;
    for (const [k, v] of this.values) out += `${this.name}${k} ${v}\n`;
    return out;
  }
}

export class Histogram {
  private counts: number[];
  private sum = 0;
  private n = 0;
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[],
  ) {
    this.counts = buckets.map(() => 0);
  }
  observe(v: number): void {
    this.sum += v;
    this.n++;
    for (let i = 0; i < this.buckets.length; i++) if (v <= (this.buckets[i] as number)) this.counts[i]!++;
  }
  get count(): number {
    return this.n;
  }
  render(): string {
    let out = `# HELP ${this.name} ${this.help}\n# TYPE ${this.name} histogram\n`;
    this.buckets.forEach((b, i) => {
      out += `${this.name}_bucket{le="${b}"} ${this.counts[i]}\n`;
    });
    out += `${this.name}_bucket{le="+Inf"} ${this.n}\n${this.name}_sum ${this.sum}\n${this.name}_count ${this.n}\n`;
    return out;
  }
}

export interface Gauge {
  name: string;
  help: string;
  read(): number | { labels: Labels; value: number }[];
}

export class Registry {
  private items: (Counter | Histogram | Gauge)[] = [];
  counter(name: string, help: string): Counter {
    const c = new Counter(name, help);
    this.items.push(c);
    return c;
  }
  histogram(name: string, help: string, buckets: readonly number[]): Histogram {
    const h = new Histogram(name, help, buckets);
    this.items.push(h);
    return h;
  }
  gauge(name: string, help: string, read: Gauge['read']): void {
    this.items.push({ name, help, read });
  }
  render(): string {
    let out = '';
    for (const it of this.items) {
      if (it instanceof Counter || it instanceof Histogram) {
        out += it.render();
        continue;
      }
      out += `# HELP ${it.name} ${it.help}\n# TYPE ${it.name} gauge\n`;
      const v = it.read();
      if (typeof v === 'number') out += `${it.name} ${v}\n`;
      else for (const x of v) out += `${it.name}${labelText(x.labels)} ${x.value}\n`;
    }
    return out;
  }
}

/** The ingest's metrics, all in one place so the README can list them. */
export function ingestMetrics(reg = new Registry()) {
  return {
    registry: reg,
    messages: reg.counter('ganzhi_ingest_messages_total', 'MQTT messages appended to the log'),
    skipped: reg.counter(
      'ganzhi_ingest_messages_skipped_total',
      'messages acked and skipped (other partition)',
    ),
    points: reg.counter(
      'ganzhi_ingest_points_total',
      'readings written to the store with a value (a not-good reading with a null value is stored by its quality and reason, not counted)',
    ),
    lines: reg.counter('ganzhi_ingest_lines_total', 'line-protocol lines written to the store'),
    batches: reg.counter('ganzhi_ingest_batches_total', 'store writes that succeeded'),
    retries: reg.counter('ganzhi_ingest_write_retries_total', 'store writes retried (store down, 5xx, 429)'),
    deadLetters: reg.counter(
      'ganzhi_ingest_dead_letters_total',
      'dead letters by kind (message, reading, line, limit)',
    ),
    limitRefusals: reg.counter(
      'ganzhi_ingest_limit_refusals_total',
      'messages refused by a per-gateway limit, by limit (gateways, devicesPerGateway, seriesPerGateway, pointsPerDevice)',
    ),
    unknownModels: reg.counter(
      'ganzhi_ingest_unknown_model_total',
      'batches and metas naming a profile the ingest does not know (stored with model=unknown)',
    ),
    streamResets: reg.counter(
      'ganzhi_ingest_stream_resets_total',
      'gateway seq jumps past completeness.maxSeqJump (counted as resets, not as missing)',
    ),
    events: reg.counter(
      'ganzhi_ingest_events_total',
      'refused or distrusted input by event (malformed, identity-mismatch, limit, unknown-model, stream-reset, host-refused)',
    ),
    eventsSuppressed: reg.counter(
      'ganzhi_ingest_events_suppressed_total',
      'of those, not logged because their kind was over its log rate',
    ),
    ackWaits: reg.counter(
      'ganzhi_ingest_ack_waits_total',
      'times a PUBACK was held because the log was full',
    ),
    writeSeconds: reg.histogram(
      'ganzhi_ingest_write_seconds',
      'store write latency (one batch, including retries inside the sink)',
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    ),
  };
}
export type IngestMetrics = ReturnType<typeof ingestMetrics>;

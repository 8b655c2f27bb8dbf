/**
 * Every write a simulated device received, accepted or refused, in order: what a test reads
 * (control API `GET /api/devices/:id/writes`) to assert that one command caused exactly one
 * write, with which function, which raw words or bits, and which value it meant.
 */
import type { Value } from '@ganzhi/device-profiles';

export interface WrittenPoint {
  point: string;
  /** the engineering value the raw words or the variant decode to */
  value: Value;
}

export interface WriteRecord {
  /** 1, 2, 3 … per device, never reused */
  seq: number;
  /** device clock, ms since the Unix epoch */
  ts: number;
  protocol: 'modbus' | 'opcua';
  /** Modbus: the unit id the request was addressed to (0 = broadcast) */
  unit?: number;
  /** Modbus function code: 5, 6, 15 or 16 */
  function?: number;
  /** Modbus: coil or holding, and the first 0-based PDU address */
  table?: 'coil' | 'holding';
  address?: number;
  /** Modbus: the registers (functions 6, 16) or coils (5, 15) as received */
  words?: number[];
  bits?: boolean[];
  /** OPC UA: the node written, the variant's data type and value as received */
  nodeId?: string;
  dataType?: string;
  raw?: unknown;
  /** points the write changed (or would have: a refused write names what it touched) */
  points: WrittenPoint[];
  outcome: 'ok' | 'refused';
  /** Modbus exception code of a refused write */
  exception?: number;
  /** OPC UA status code name, e.g. Good, BadTypeMismatch, BadNotWritable */
  status?: string;
  /** why it was refused */
  reason?: string;
}

/** Keeps the last `capacity` records; `total` counts all. */
export class WriteLog {
  private readonly records: WriteRecord[] = [];
  private seq = 0;

  constructor(private readonly capacity = 1000) {}

  add(r: Omit<WriteRecord, 'seq'>): WriteRecord {
    const rec = { seq: ++this.seq, ...r } as WriteRecord;
    this.records.push(rec);
    if (this.records.length > this.capacity) this.records.shift();
    return rec;
  }

  get total(): number {
    return this.seq;
  }

  /** Records with seq > since, oldest first. */
  since(since = 0): WriteRecord[] {
    return this.records.filter((r) => r.seq > since);
  }
}

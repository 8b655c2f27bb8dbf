/**
 * The contract between the simulator core (devices, signals, faults, ground truth) and
 * each protocol front-end that serves point values by name (OPC-UA, serial).
 */
import type { Profile, Value } from '@ganzhi/device-profiles';

export type SampleStatus = 'good' | 'uncertain' | 'bad';

export interface PointSample {
  value: Value;
  status: SampleStatus;
  /** device timestamp in ms since the Unix epoch (clock-skew faults move it) */
  sourceTs: number;
}

/** An OPC UA write of one variable, as the server received it. */
export interface NodeWrite {
  nodeId: string;
  /** the variant's data type name as received (e.g. Double, Float, Null) */
  dataType: string;
  /** the variant's value as received (raw units) */
  raw: unknown;
  /** set when the server refused it before the device saw the value (e.g. BadTypeMismatch) */
  refused?: { status: string; reason: string };
}

/** What the device answers to a write: an OPC UA status name, Good or why not. */
export type NodeWriteResult = { status: 'Good' } | { status: string; reason: string };

/**
 * One simulated device seen by a front-end. `sample` is called when the server needs the
 * value; each call counts as one served sample of that point. `undefined` = no such point.
 * `write` (optional) takes a client's write of a point: the device logs every attempt.
 */
export interface SimPointSource {
  id: string;
  profile: Profile;
  sample(point: string, now: number): PointSample | undefined;
  write?(point: string, w: NodeWrite): NodeWriteResult;
}

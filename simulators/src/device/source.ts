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

/**
 * One simulated device seen by a front-end. `sample` is called when the server needs the
 * value; each call counts as one served sample of that point. `undefined` = no such point.
 */
export interface SimPointSource {
  id: string;
  profile: Profile;
  sample(point: string, now: number): PointSample | undefined;
}

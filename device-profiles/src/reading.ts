/**
 * The reading model: what every driver produces and every sink consumes.
 */
export type Quality = 'good' | 'uncertain' | 'bad';

export type Value = number | boolean | string | null;

export interface Reading {
  /** device instance id, unique within its gateway */
  device: string;
  /** point name from the device's profile */
  point: string;
  /** engineering value after scale/offset; null when quality is bad and no value could be read */
  value: Value;
  /** unit from the profile */
  unit: string;
  /** source time, ms since the Unix epoch (OPC-UA SourceTimestamp, or time of the poll response) */
  ts: number;
  quality: Quality;
  /** why the quality is not good (e.g. "timeout", "modbus exception 02", "crc"); absent when good */
  reason?: string;
}

export const good = (device: string, point: string, value: Value, unit: string, ts: number): Reading => ({
  device,
  point,
  value,
  unit,
  ts,
  quality: 'good',
});

export const bad = (device: string, point: string, unit: string, ts: number, reason: string): Reading => ({
  device,
  point,
  value: null,
  unit,
  ts,
  quality: 'bad',
  reason,
});

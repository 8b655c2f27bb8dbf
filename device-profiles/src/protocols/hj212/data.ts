/**
 * The monitoring data of CN 2011 (real-time), 2051 (minute), 2061 (hour) and 2031 (day):
 * `DataTime` plus per pollutant code its values (Rtd real-time; Avg/Min/Max/Cou for the
 * periods) and its data marker `-Flag` (HJ 212-2017 Table 7 / §6.6.4). Each value is kept
 * or refused on its own, so one malformed number never drops its neighbours.
 */
import { dataTimeToEpoch } from './segment.js';

export const DATA_COMMANDS: Record<string, string> = {
  '2011': 'real-time data',
  '2051': 'minute data',
  '2061': 'hour data',
  '2031': 'day data',
};

export const VALUE_FIELDS = ['Rtd', 'Avg', 'Min', 'Max', 'Cou'] as const;
export type ValueField = (typeof VALUE_FIELDS)[number];

/**
 * Data markers (数据标记) of HJ 212-2017 §6.6.4 and what Ganzhi stores for them: N normal →
 * good; T over the instrument's upper limit and S manually entered → uncertain (a value that
 * is not a plain measurement); F stopped, M maintenance, D fault, C calibration, B
 * communication failure → bad: not a valid measurement of the environment.
 */
export const DATA_FLAGS: Record<string, { meaning: string; quality: 'good' | 'uncertain' | 'bad' }> = {
  N: { meaning: 'normal', quality: 'good' },
  F: { meaning: 'stopped (停运)', quality: 'bad' },
  M: { meaning: 'maintenance (维护)', quality: 'bad' },
  S: { meaning: 'manual input (手工输入)', quality: 'uncertain' },
  D: { meaning: 'fault (故障)', quality: 'bad' },
  C: { meaning: 'calibration (校准)', quality: 'bad' },
  T: { meaning: 'over the upper measurement limit (超测上限)', quality: 'uncertain' },
  B: { meaning: 'communication failure (通讯异常)', quality: 'bad' },
};

export interface PollutantValue {
  code: string;
  field: ValueField;
  /** the number, or undefined with `reason` when the text is not a number */
  value?: number;
  text: string;
  flag?: string;
  quality: 'good' | 'uncertain' | 'bad';
  reason?: string;
}

export interface MonitoringData {
  dataTime: string;
  /** DataTime as epoch ms (local time of the logger at tzOffsetMinutes) */
  ts: number;
  values: PollutantValue[];
  /** fields that could not be read, with why */
  problems: string[];
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

export function parseMonitoringData(
  cp: string,
  tzOffsetMinutes = 480,
): { ok: true; data: MonitoringData } | { ok: false; reason: string } {
  let dataTime: string | undefined;
  const byCode = new Map<string, { fields: Map<string, string>; flag?: string }>();
  const problems: string[] = [];
  for (const group of cp.split(';')) {
    if (group.trim() === '') continue;
    for (const field of group.split(',')) {
      const eq = field.indexOf('=');
      if (eq <= 0) {
        problems.push(`field "${field.slice(0, 30)}" has no key=value`);
        continue;
      }
      const key = field.slice(0, eq).trim();
      const value = field.slice(eq + 1);
      if (key === 'DataTime') {
        dataTime = value;
        continue;
      }
      const dash = key.lastIndexOf('-');
      if (dash <= 0) continue; // other CP fields (e.g. RtdInterval) are not monitoring values
      const code = key.slice(0, dash);
      const suffix = key.slice(dash + 1);
      const entry = byCode.get(code) ?? { fields: new Map<string, string>() };
      if (suffix === 'Flag') entry.flag = value;
      else entry.fields.set(suffix, value);
      byCode.set(code, entry);
    }
  }
  if (dataTime === undefined) return { ok: false, reason: 'CP: no DataTime' };
  const ts = dataTimeToEpoch(dataTime, tzOffsetMinutes);
  if (ts === undefined) return { ok: false, reason: `CP: DataTime "${dataTime.slice(0, 20)}" is not a date` };
  const values: PollutantValue[] = [];
  for (const [code, e] of byCode) {
    const marker = e.flag !== undefined ? DATA_FLAGS[e.flag] : undefined;
    for (const field of VALUE_FIELDS) {
      const text = e.fields.get(field);
      if (text === undefined) continue;
      const base = { code, field, text, ...(e.flag !== undefined ? { flag: e.flag } : {}) };
      if (!NUMBER.test(text) || !Number.isFinite(Number(text))) {
        values.push({ ...base, quality: 'bad', reason: `not a number: "${text.slice(0, 20)}"` });
        continue;
      }
      const value = Number(text);
      if (e.flag !== undefined && !marker) {
        values.push({ ...base, value, quality: 'bad', reason: `unknown data flag ${e.flag.slice(0, 4)}` });
      } else if (marker && marker.quality !== 'good') {
        values.push({ ...base, value, quality: marker.quality, reason: `flag ${e.flag}: ${marker.meaning}` });
      } else {
        values.push({ ...base, value, quality: 'good' });
      }
    }
  }
  return { ok: true, data: { dataTime, ts, values, problems } };
}

export interface DataValueInput {
  code: string;
  /** value per field, already formatted as text (the logger's decimals) */
  fields: Partial<Record<ValueField, string>>;
  flag?: string;
}

export function buildMonitoringCp(dataTime: string, values: DataValueInput[]): string {
  const groups = values.map((v) => {
    const parts = Object.entries(v.fields).map(([f, t]) => `${v.code}-${f}=${t}`);
    if (v.flag !== undefined) parts.push(`${v.code}-Flag=${v.flag}`);
    return parts.join(',');
  });
  return [`DataTime=${dataTime}`, ...groups].join(';');
}

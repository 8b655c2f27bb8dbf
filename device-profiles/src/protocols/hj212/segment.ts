/**
 * HJ 212-2017 §6.3.2 data segment: `QN=…;ST=…;CN=…;PW=…;MN=…;Flag=…;[PNUM=…;PNO=…;]CP=&&…&&`
 * and §6.3.3 the command parameters inside CP: groups separated by `;`, fields inside a group
 * by `,`, each field `key=value`; `DataTime=YYYYMMDDhhmmss` and pollutant fields
 * `<code>-<Rtd|Avg|Min|Max|Cou|Flag|SampleTime|…>=value` (Table 7).
 */

export interface Segment {
  qn?: string;
  st: string;
  cn: string;
  pw: string;
  mn: string;
  flag: number;
  pnum?: number;
  pno?: number;
  /** the raw text between CP=&& and the closing && */
  cp: string;
}

export interface FlagBits {
  /** bit 0 (A): the sender asks for an acknowledgement */
  ackRequested: boolean;
  /** bit 1 (D): the data are split into packets (PNUM/PNO present) */
  split: boolean;
  /** bits 2-7: 0 = HJ/T 212-2005, 1 = HJ 212-2017 */
  version: number;
}

export const flagBits = (flag: number): FlagBits => ({
  ackRequested: (flag & 1) === 1,
  split: (flag & 2) === 2,
  version: flag >> 2,
});

export type SegmentResult = { ok: true; segment: Segment } | { ok: false; reason: string };

const FIELD_RULES: Record<string, RegExp> = {
  QN: /^\d{17}$/,
  ST: /^\d{2,5}$/,
  CN: /^\d{4}$/,
  PW: /^[\x21-\x7e]{0,9}$/,
  MN: /^[\x21-\x7e]{1,27}$/,
  Flag: /^\d{1,3}$/,
  PNUM: /^\d{1,4}$/,
  PNO: /^\d{1,4}$/,
};

/** Parses the header fields and isolates CP. Refuses what the table of §6.3.2 does not allow. */
export function parseSegment(text: string): SegmentResult {
  const cpAt = text.indexOf('CP=&&');
  if (cpAt < 0) return { ok: false, reason: 'segment: no CP=&& field' };
  if (!text.endsWith('&&') || text.length < cpAt + 7)
    return { ok: false, reason: 'segment: CP does not end with &&' };
  const head = text.slice(0, cpAt);
  const cp = text.slice(cpAt + 5, -2);
  const fields = new Map<string, string>();
  for (const part of head.split(';')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    if (eq <= 0) return { ok: false, reason: `segment: field "${part.slice(0, 20)}" has no key=value` };
    const key = part.slice(0, eq);
    const value = part.slice(eq + 1);
    const rule = FIELD_RULES[key];
    if (!rule) return { ok: false, reason: `segment: unknown field ${key.slice(0, 12)}` };
    if (fields.has(key)) return { ok: false, reason: `segment: field ${key} twice` };
    if (!rule.test(value))
      return { ok: false, reason: `segment: ${key}="${value.slice(0, 30)}" is malformed` };
    fields.set(key, value);
  }
  for (const key of ['ST', 'CN', 'MN'] as const) {
    if (!fields.has(key)) return { ok: false, reason: `segment: missing ${key}` };
  }
  const flag = Number(fields.get('Flag') ?? '0');
  if (flag > 255) return { ok: false, reason: `segment: Flag=${flag} is not a byte` };
  const pnum = fields.get('PNUM');
  const pno = fields.get('PNO');
  return {
    ok: true,
    segment: {
      ...(fields.has('QN') ? { qn: fields.get('QN')! } : {}),
      st: fields.get('ST')!,
      cn: fields.get('CN')!,
      pw: fields.get('PW') ?? '',
      mn: fields.get('MN')!,
      flag,
      ...(pnum !== undefined ? { pnum: Number(pnum) } : {}),
      ...(pno !== undefined ? { pno: Number(pno) } : {}),
      cp,
    },
  };
}

export interface SegmentInput {
  qn?: string;
  st: string;
  cn: string;
  pw: string;
  mn: string;
  flag: number;
  cp: string;
}

export function buildSegment(s: SegmentInput): string {
  const qn = s.qn !== undefined ? `QN=${s.qn};` : '';
  return `${qn}ST=${s.st};CN=${s.cn};PW=${s.pw};MN=${s.mn};Flag=${s.flag};CP=&&${s.cp}&&`;
}

/**
 * The data acknowledgement (CN 9014, 数据应答, HJ 212-2017 command table): ST=91, the QN of the frame being
 * acknowledged, Flag=4 (version 2017, no ack asked), empty CP.
 */
export function buildAckSegment(acked: Pick<Segment, 'qn' | 'pw' | 'mn'>): string {
  return buildSegment({
    ...(acked.qn !== undefined ? { qn: acked.qn } : {}),
    st: '91',
    cn: '9014',
    pw: acked.pw,
    mn: acked.mn,
    flag: 4,
    cp: '',
  });
}

/** `YYYYMMDDhhmmss` → the fields, or undefined when it is not a real date and time. */
export function parseDataTime(
  text: string,
): { y: number; mo: number; d: number; h: number; mi: number; s: number } | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return undefined;
  const days = new Date(Date.UTC(y, mo, 0)).getUTCDate();
  if (d > days) return undefined;
  return { y, mo, d, h, mi, s };
}

/** DataTime is local time at the logger; `tzOffsetMinutes` east of UTC (China Standard Time 480). */
export function dataTimeToEpoch(text: string, tzOffsetMinutes = 480): number | undefined {
  const t = parseDataTime(text);
  if (!t) return undefined;
  return Date.UTC(t.y, t.mo - 1, t.d, t.h, t.mi, t.s) - tzOffsetMinutes * 60_000;
}

export function epochToDataTime(epochMs: number, tzOffsetMinutes = 480): string {
  const t = new Date(epochMs + tzOffsetMinutes * 60_000);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${t.getUTCFullYear()}${p(t.getUTCMonth() + 1)}${p(t.getUTCDate())}${p(t.getUTCHours())}${p(t.getUTCMinutes())}${p(t.getUTCSeconds())}`;
}

export function epochToQn(epochMs: number, tzOffsetMinutes = 480): string {
  return `${epochToDataTime(epochMs, tzOffsetMinutes)}${String(((epochMs % 1000) + 1000) % 1000).padStart(3, '0')}`;
}

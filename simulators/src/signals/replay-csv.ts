/** CSV for replay signals: a header row, then `offset_ms,value,…` rows. */
import { simError } from '../errors.js';

export interface ReplayTable {
  /** value column names (the header without the time column) */
  columns: string[];
  rows: { offset: number; values: (number | string)[] }[];
  /** loop length: last offset plus the last row spacing (1000 ms for one row) */
  periodMs: number;
}

export function parseReplayCsv(text: string, source: string): ReplayTable {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const header = lines.shift();
  if (header === undefined) throw simError('GZ_SIM_SIGNAL', `${source}: empty replay CSV`);
  const columns = header.split(',').map((c) => c.trim());
  columns.shift();
  const rows = lines.map((line, i) => {
    const cells = line.split(',').map((c) => c.trim());
    const offset = Number(cells.shift());
    if (!Number.isFinite(offset) || offset < 0) {
      throw simError('GZ_SIM_SIGNAL', `${source}: row ${i + 2}: offset_ms must be a number >= 0`);
    }
    if (cells.length !== columns.length) {
      throw simError('GZ_SIM_SIGNAL', `${source}: row ${i + 2}: expected ${columns.length} values`);
    }
    return { offset, values: cells.map((c) => (c !== '' && Number.isFinite(Number(c)) ? Number(c) : c)) };
  });
  if (rows.length === 0) throw simError('GZ_SIM_SIGNAL', `${source}: replay CSV has no rows`);
  rows.sort((a, b) => a.offset - b.offset);
  const last = rows[rows.length - 1]!.offset;
  const prev = rows.length > 1 ? rows[rows.length - 2]!.offset : last - 1000;
  return { columns, rows, periodMs: last + Math.max(1, last - prev) };
}

/**
 * Classifies what modbus-serial reports into the fault kinds the agent acts on, with the
 * reason text that ends up in bad-quality readings.
 */
export type ModbusFault =
  | { kind: 'exception'; code: number; reason: string }
  | { kind: 'timeout'; reason: 'timeout' }
  | { kind: 'crc'; reason: 'crc' }
  | { kind: 'frame'; reason: string }
  | { kind: 'line'; reason: string };

export const EXCEPTION_NAMES: Record<number, string> = {
  1: 'illegal function',
  2: 'illegal data address',
  3: 'illegal data value',
  4: 'slave device failure',
  5: 'acknowledge',
  6: 'slave device busy',
  8: 'memory parity error',
  10: 'gateway path unavailable',
  11: 'gateway target device failed to respond',
};

export function exceptionReason(code: number): string {
  const hex = code.toString(16).toUpperCase().padStart(2, '0');
  return `modbus exception ${hex} (${EXCEPTION_NAMES[code] ?? 'unknown exception'})`;
}

/** The line is down (not connected, or waiting to reconnect). */
export class LineDownError extends Error {
  readonly code = 'GZ_AGENT_LINE_DOWN';
  constructor(reason: string, opts?: { cause?: unknown }) {
    super(reason, opts);
    this.name = 'LineDownError';
  }
}

/**
 * A reply that answers something else than the request on the line: another unit, a
 * transaction id the agent never sent. The request fails as `bad frame`; the detail is logged.
 */
export class FrameFault extends Error {
  readonly code = 'GZ_AGENT_MODBUS_FRAME';
  constructor(detail: string) {
    super(`bad frame: ${detail}`);
    this.name = 'FrameFault';
  }
}

export function classifyModbusError(err: unknown): ModbusFault {
  if (err instanceof LineDownError) return { kind: 'line', reason: err.message };
  if (err instanceof FrameFault) return { kind: 'frame', reason: 'bad frame' };
  const e = err as {
    modbusCode?: unknown;
    errno?: unknown;
    message?: unknown;
    name?: unknown;
    code?: unknown;
  };
  if (typeof e?.modbusCode === 'number') {
    return { kind: 'exception', code: e.modbusCode, reason: exceptionReason(e.modbusCode) };
  }
  const message = typeof e?.message === 'string' ? e.message : String(err);
  if (e?.errno === 'ETIMEDOUT' || e?.name === 'TransactionTimedOutError' || message === 'Timed out') {
    return { kind: 'timeout', reason: 'timeout' };
  }
  if (/CRC error/i.test(message)) return { kind: 'crc', reason: 'crc' };
  // modbus-serial reading past the end of a response whose byte count lies: a RangeError
  // (ERR_OUT_OF_RANGE) from Buffer.readUInt16BE — a corrupt frame, not a broken connection
  if (/Data length error|length error|Unexpected data/i.test(message) || e?.code === 'ERR_OUT_OF_RANGE') {
    return { kind: 'frame', reason: 'bad frame' };
  }
  const code = typeof e?.code === 'string' ? e.code : typeof e?.errno === 'string' ? e.errno : undefined;
  return { kind: 'line', reason: code ? `connection: ${code}` : `connection: ${message}` };
}

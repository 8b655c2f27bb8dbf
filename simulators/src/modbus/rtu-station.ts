/**
 * The RTU side of a bus: a request frame (unit id + PDU + CRC) in, the bytes to send back
 * out. Unit 0 is broadcast (writes are applied, nothing is answered); units not on the bus
 * stay silent, as a real bus does.
 */
import { answer, type UnitTable } from './answer.js';
import { withCrc } from './crc16.js';
import type { RtuDeframer } from './rtu-deframer.js';

export type RtuOutcome = { bytes: Buffer; delayMs: number } | { drop: true } | undefined;

export function rtuRespond(units: UnitTable, frame: Buffer, noise: () => number): RtuOutcome {
  const uid = frame[0]!;
  const pdu = frame.subarray(1, frame.length - 2);
  if (uid === 0) {
    for (const d of units.values()) if ((pdu[0] ?? 0) >= 5) answer(d, pdu, noise, 0);
    return undefined;
  }
  const device = units.get(uid);
  if (!device) return undefined;
  const a = answer(device, pdu, noise, uid);
  if (a.kind === 'silent') return undefined;
  if (a.kind === 'drop') return { drop: true };
  const out = withCrc(Buffer.concat([Buffer.from([uid]), a.pdu]));
  if (a.kind === 'corrupt') {
    if (a.mode === 'bad-crc') out[out.length - 1]! ^= 0x5a;
    if (a.mode === 'truncated')
      return { bytes: out.subarray(0, Math.max(2, out.length >> 1)), delayMs: a.delayMs };
  }
  return { bytes: out, delayMs: a.delayMs };
}

/** Feeds bytes from a stream through a deframer, answers each frame, and flushes on idle. */
export function rtuStream(
  deframer: RtuDeframer,
  units: UnitTable,
  noise: () => number,
  io: { write(b: Buffer): void; drop(): void; idleMs: number },
): { data(chunk: Buffer): void; stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  const handle = (frame: Buffer) => {
    const r = rtuRespond(units, frame, noise);
    if (!r) return;
    if ('drop' in r) {
      io.drop();
      return;
    }
    if (r.delayMs > 0) setTimeout(() => io.write(r.bytes), r.delayMs);
    else io.write(r.bytes);
  };
  return {
    data(chunk) {
      for (const f of deframer.push(chunk)) handle(f);
      if (timer) clearTimeout(timer);
      timer = undefined;
      if (deframer.pending() > 0) {
        timer = setTimeout(() => {
          timer = undefined;
          const f = deframer.idle();
          if (f) handle(f);
        }, io.idleMs);
      }
    },
    stop() {
      if (timer) clearTimeout(timer);
    },
  };
}

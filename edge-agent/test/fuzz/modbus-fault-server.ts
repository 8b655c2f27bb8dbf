/**
 * FAKE Modbus TCP server for fault injection (the frame fuzz): a raw net.Server that parses
 * each request (MBAP + read function) and answers it with a response that is either valid or
 * mutated — wrong length, wrong function code, wrong transaction id, truncated, an exception,
 * extra bytes, random bytes, silence. Every answer is logged with a serial number; valid
 * register responses carry `serial * 64 + address` as a uint32 per point, so a good reading
 * names the response it came from. `mode = 'correct'` answers everything validly.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { encodeRaw, type ModbusBinding } from '@ganzhi/device-profiles';

export type Mutation =
  | 'valid'
  | 'valid-fragmented'
  | 'valid-duplicated'
  | 'exception'
  | 'wrong-length'
  | 'wrong-function'
  | 'wrong-transaction'
  | 'wrong-unit'
  | 'wrong-byte-count'
  | 'truncated'
  | 'extra-bytes-inside'
  | 'extra-bytes-after'
  | 'random-bytes'
  | 'silence';

const MUTATIONS: [Mutation, number][] = [
  ['valid', 34],
  ['valid-fragmented', 4],
  ['valid-duplicated', 2],
  ['exception', 10],
  ['wrong-length', 6],
  ['wrong-function', 6],
  ['wrong-transaction', 4],
  ['wrong-unit', 6],
  ['wrong-byte-count', 6],
  ['truncated', 4],
  ['extra-bytes-inside', 6],
  ['extra-bytes-after', 4],
  ['random-bytes', 6],
  ['silence', 2],
];
const TOTAL = MUTATIONS.reduce((n, [, w]) => n + w, 0);

export const TABLE_OF_FC: Record<number, string> = { 1: 'coil', 2: 'discrete', 3: 'holding', 4: 'input' };
const U32: ModbusBinding = { table: 'holding', address: 0, type: 'uint32' };

export interface Answer {
  serial: number;
  table: string;
  address: number;
  count: number;
  mutation: Mutation;
  /** a well-formed response: the only kind a good reading may come from */
  valid: boolean;
}

export interface FaultServer {
  port: number;
  mode: 'fuzz' | 'correct';
  readonly log: Answer[];
  close(): Promise<void>;
}

/** Register words of a valid answer: uint32 points at even addresses hold serial*64+address. */
export function registerWords(serial: number, address: number, count: number): number[] {
  const words: number[] = [];
  for (let a = address; a < address + count; a++) {
    const base = a - (a % 2);
    const w = encodeRaw(U32, serial * 64 + base);
    words.push(w[a % 2] as number);
  }
  return words;
}

/** Coil at address k in a valid answer is bit k of the serial. */
export const coilBit = (serial: number, k: number) => ((serial >>> k) & 1) === 1;

export async function startFaultServer(rand: () => number, first = { serial: 0 }): Promise<FaultServer> {
  const log: Answer[] = [];
  const sockets = new Set<Socket>();
  const state: FaultServer = {
    port: 0,
    mode: 'fuzz',
    log,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const int = (n: number) => Math.floor(rand() * n);
  const randomBytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
  const pick = (): Mutation => {
    let x = int(TOTAL);
    for (const [m, w] of MUTATIONS) {
      if (x < w) return m;
      x -= w;
    }
    return 'valid';
  };

  function answer(sock: Socket, tid: number, unit: number, fc: number, address: number, count: number): void {
    const serial = first.serial++;
    const mutation = state.mode === 'correct' ? 'valid' : pick();
    const table = TABLE_OF_FC[fc] ?? `fc${fc}`;
    // 'extra-bytes-after' is a valid frame followed by garbage that spoils the *next* one
    const valid = (mutation.startsWith('valid') || mutation === 'extra-bytes-after') && fc in TABLE_OF_FC;
    log.push({ serial, table, address, count, mutation, valid });
    let data: Buffer;
    if (fc === 3 || fc === 4) {
      data = Buffer.alloc(1 + count * 2);
      data[0] = count * 2;
      const words = registerWords(serial, address, count);
      for (let i = 0; i < words.length; i++) data.writeUInt16BE(words[i] as number, 1 + i * 2);
    } else {
      const bytes = Math.ceil(count / 8);
      data = Buffer.alloc(1 + bytes);
      data[0] = bytes;
      for (let k = 0; k < count; k++) if (coilBit(serial, address + k)) data[1 + (k >> 3)]! |= 1 << (k & 7);
    }
    let pduFc = fc;
    if (mutation === 'exception') {
      pduFc = fc | 0x80;
      data = Buffer.from([[1, 2, 3, 4, 6, 10, 11, int(256)][int(8)] as number]);
    } else if (mutation === 'wrong-function') {
      do pduFc = int(256);
      while (pduFc === fc || pduFc === (fc | 0x80));
    } else if (mutation === 'wrong-byte-count') {
      let b = data[0] as number;
      while (b === data[0]) b = int(256);
      data[0] = b;
    } else if (mutation === 'extra-bytes-inside') {
      data = Buffer.concat([data, randomBytes(1 + int(8))]);
    }
    const frame = Buffer.alloc(8 + data.length);
    // a wrong id far from the ids in use (a near one could be the client's next request's)
    frame.writeUInt16BE(mutation === 'wrong-transaction' ? tid ^ (0x8000 | int(0x8000)) : tid, 0);
    frame.writeUInt16BE(0, 2);
    frame.writeUInt16BE(2 + data.length, 4);
    frame[6] = mutation === 'wrong-unit' ? (unit + 1 + int(254)) & 0xff : unit;
    frame[7] = pduFc;
    data.copy(frame, 8);
    if (mutation === 'wrong-length') {
      let len = 2 + data.length;
      while (len === 2 + data.length)
        len = int(2) === 0 ? int(2 + data.length) : 2 + data.length + 1 + int(20);
      frame.writeUInt16BE(len, 4);
    }
    if (sock.destroyed) return;
    switch (mutation) {
      case 'silence':
        return;
      case 'random-bytes':
        sock.write(randomBytes(1 + int(300)));
        return;
      case 'truncated':
        sock.write(frame.subarray(0, int(frame.length)));
        return;
      case 'extra-bytes-after':
        sock.write(Buffer.concat([frame, randomBytes(1 + int(16))]));
        return;
      case 'valid-duplicated':
        sock.write(Buffer.concat([frame, frame]));
        return;
      case 'valid-fragmented': {
        const cut = 1 + int(frame.length - 1);
        sock.write(frame.subarray(0, cut));
        setImmediate(() => sock.destroyed || sock.write(frame.subarray(cut)));
        return;
      }
      default:
        sock.write(frame);
    }
  }

  const server: Server = createServer((sock) => {
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    sock.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 12) {
        const len = buf.readUInt16BE(4);
        if (buf.length < 6 + len) return;
        const tid = buf.readUInt16BE(0);
        const unit = buf[6] as number;
        const fc = buf[7] as number;
        const address = buf.readUInt16BE(8);
        const count = buf.readUInt16BE(10);
        buf = buf.subarray(6 + len);
        answer(sock, tid, unit, fc, address, count);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const addr = server.address();
  state.port = typeof addr === 'object' && addr ? addr.port : 0;
  return state;
}

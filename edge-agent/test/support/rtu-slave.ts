/**
 * A minimal Modbus RTU slave for FAULT INJECTION in tests (FC 1–4 only): answers any number
 * of unit ids on one byte stream (a socat pty via serialport, or a TCP socket for
 * RTU-over-TCP), each unit with its own fault: dead (no answer), crc (corrupted checksum),
 * exception, slow. Registers hold the test-meter layout; voltage = 220 + unit id.
 */
import type { Duplex } from 'node:stream';
import { f32 } from '../helpers.js';

export type UnitFault = 'ok' | 'dead' | 'crc' | 'exception02' | 'exception04' | { slowMs: number };

export function crc16(buf: Uint8Array): number {
  let crc = 0xffff;
  for (const b of buf) {
    crc ^= b;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

export function withCrc(body: number[]): Buffer {
  const b = Buffer.alloc(body.length + 2);
  Buffer.from(body).copy(b);
  b.writeUInt16LE(crc16(b.subarray(0, body.length)), body.length);
  return b;
}

export function meterRegisters(unit: number): { input: Map<number, number>; holding: Map<number, number> } {
  const [v0, v1] = f32(220 + unit);
  const [c0, c1] = f32(5.25);
  return {
    input: new Map([
      [0, v0],
      [1, v1],
      [2, c1],
      [3, c0],
    ]),
    holding: new Map([
      [10, 0x0001],
      [11, 0xe240],
      [14, 0xffcc],
    ]),
  };
}

export class RtuSlave {
  readonly faults = new Map<number, UnitFault>();
  readonly served = new Map<number, number>();
  private buf = Buffer.alloc(0);
  private readonly streams = new Set<Duplex>();

  constructor(
    private readonly units: ReadonlySet<number>,
    private readonly registers = meterRegisters,
  ) {}

  attach(stream: Duplex): void {
    this.streams.add(stream);
    stream.on('data', (d: Buffer) => this.onData(stream, d));
    stream.on('close', () => this.streams.delete(stream));
    stream.on('error', () => undefined);
  }

  private onData(stream: Duplex, d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    while (this.buf.length >= 8) {
      const frame = this.buf.subarray(0, 8);
      if (crc16(frame.subarray(0, 6)) !== frame.readUInt16LE(6)) {
        this.buf = this.buf.subarray(1); // resync
        continue;
      }
      this.buf = this.buf.subarray(8);
      this.handle(stream, Buffer.from(frame));
    }
  }

  private handle(stream: Duplex, f: Buffer): void {
    const unit = f[0]!;
    const fc = f[1]!;
    if (!this.units.has(unit)) return;
    const fault = this.faults.get(unit) ?? 'ok';
    if (fault === 'dead') return;
    this.served.set(unit, (this.served.get(unit) ?? 0) + 1);
    const addr = f.readUInt16BE(2);
    const count = f.readUInt16BE(4);
    let reply: Buffer;
    if (fault === 'exception02' || fault === 'exception04') {
      reply = withCrc([unit, fc | 0x80, fault === 'exception02' ? 2 : 4]);
    } else if (fc === 3 || fc === 4) {
      const regs = this.registers(unit)[fc === 3 ? 'holding' : 'input'];
      const body = [unit, fc, count * 2];
      for (let i = 0; i < count; i++) {
        const w = regs.get(addr + i) ?? 0;
        body.push(w >> 8, w & 0xff);
      }
      reply = withCrc(body);
    } else if (fc === 1 || fc === 2) {
      const bytes = Math.ceil(count / 8);
      const body = [unit, fc, bytes];
      for (let i = 0; i < bytes; i++) body.push(i === 0 && addr === 0 ? 1 : 0);
      reply = withCrc(body);
    } else {
      reply = withCrc([unit, fc | 0x80, 1]);
    }
    if (fault === 'crc') reply[reply.length - 1] = reply[reply.length - 1]! ^ 0xff;
    if (typeof fault === 'object') setTimeout(() => stream.write(reply), fault.slowMs);
    else stream.write(reply);
  }
}

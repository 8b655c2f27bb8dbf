/**
 * Golden vectors for Modbus writes: engineering value → the request bytes the agent's driver
 * puts on the wire, captured by a bare socket peer (the MBAP header stripped for Modbus TCP;
 * the whole RTU frame with its CRC over RTU-over-TCP). The expected bytes are literal hex from
 * the sources below, never computed by the encoder under test.
 *
 * Sources:
 * [MB §6.5]  MODBUS Application Protocol Specification V1.1b3, §6.5 Write Single Coil: "write
 *            Coil 173 ON" → 05 00 AC FF 00; "a value of 00 00 requests it to be OFF".
 * [MB §6.6]  ibid. §6.6 Write Single Register: "write register 2 to 00 03 hex" → 06 00 01 00 03.
 * [MB §6.11] ibid. §6.11 Write Multiple Coils: 0F, starting address, quantity, byte count, the
 *            outputs "with the least significant bit addressing the lowest output", unused bits
 *            zero-filled. The spec's example writes 10 coils (CD 01); the agent writes one coil,
 *            so the single-coil frame 0F 00 13 00 01 01 01 (coil 20 ON) is derived from that rule.
 * [MB §6.12] ibid. §6.12 Write Multiple Registers: "write two registers starting at 2 to 00 0A
 *            and 01 02 hex" → 10 00 01 00 02 04 00 0A 01 02.
 * [MT]       Modbus RTU framing of the §6.5 example as printed by Modbus Tools / Simply Modbus
 *            ("write coil 173 ON in slave device 17"): 11 05 00 AC FF 00 4E 8B.
 * [PXC]      Phoenix Contact EMpro user manual 109357_en_00 §11.6: float 123.456 (0x42F6E979) held
 *            low word first (n = 0xE979, n+1 = 0x42F6) — CDAB; 32-bit 305419896 → n = 0x5678,
 *            n+1 = 0x1234.
 * [HC]       Honeywell HC900 Communications User Guide §2.1: -100.0 = C2C80000 (ABCD, FP B).
 * [VAI]      Vaisala Modbus test registers (DMT143 M211435EN-J Table 30): int16 -12345 (0xCFC7).
 *
 * Engineering → raw (toRaw): raw = (value − offset) / scale, rounded half away from zero for
 * integer encodings: -123.45 with scale 0.01 → -12345 → CFC7; 0.25 with scale 0.1 → 2.5 → 3;
 * -0.25 → -2.5 → -3 (0xFFFD); 20.5 °C with offset -40 and scale 0.5 → 121 (0x0079).
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { ModbusPoint, Profile } from '@ganzhi/device-profiles';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Driver } from '../src/drivers/driver.js';
import { createModbusDriver } from '../src/drivers/modbus/index.js';
import { crc16Modbus } from '../src/drivers/modbus/rtu-framer.js';
import { context, modbusSpec } from './helpers.js';

const hex = (b: Iterable<number>) =>
  Buffer.from([...b])
    .toString('hex')
    .toUpperCase()
    .replace(/(..)(?!$)/g, '$1 ');

/** A peer that records each request and answers it as the spec's normal response does. */
class CapturePeer {
  readonly requests: Buffer[] = [];
  /** what function 3 answers (fault injection: a device that did not take the write) */
  holds: number[] = [];
  private server!: Server;
  port = 0;
  constructor(private readonly rtu: boolean) {}

  async start(): Promise<void> {
    this.server = createServer((s) => this.serve(s));
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as { port: number }).port;
  }

  private serve(s: Socket): void {
    s.on('data', (chunk) => {
      if (this.rtu) {
        this.requests.push(chunk);
        const pdu = chunk.subarray(1, chunk.length - 2);
        const reply = Buffer.concat([chunk.subarray(0, 1), pdu.subarray(0, 5)]);
        const crc = Buffer.alloc(2);
        crc.writeUInt16LE(crc16Modbus(reply));
        s.write(Buffer.concat([reply, crc]));
        return;
      }
      const pdu = chunk.subarray(7);
      this.requests.push(chunk);
      if (pdu[0] === 3) {
        // fault injection for readback: the registers hold `holds`, whatever was written
        const n = pdu.readUInt16BE(3);
        const data = Buffer.alloc(2 * n);
        for (let i = 0; i < n; i++) data.writeUInt16BE(this.holds[i] ?? 0, 2 * i);
        const mbap = Buffer.from(chunk.subarray(0, 7));
        mbap.writeUInt16BE(3 + data.length, 4);
        s.write(Buffer.concat([mbap, Buffer.from([3, data.length]), data]));
        return;
      }
      // the normal response of 05/06 echoes the request; of 0F/10 it is fc, address, quantity
      const body = pdu.subarray(0, 5);
      const mbap = Buffer.from(chunk.subarray(0, 7));
      mbap.writeUInt16BE(body.length + 1, 4);
      s.write(Buffer.concat([mbap, body]));
    });
    s.on('error', () => undefined);
  }

  /** The last request's PDU (TCP) or whole frame (RTU). */
  last(): string {
    const r = this.requests.at(-1)!;
    return hex(this.rtu ? r : r.subarray(7));
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

const holding = (
  name: string,
  address: number,
  type: ModbusPoint['modbus']['type'],
  extra: Partial<ModbusPoint> & { order?: 'ABCD' | 'CDAB' } = {},
): ModbusPoint => {
  const { order, ...rest } = extra;
  return {
    name,
    unit: '1',
    type: type.startsWith('float') ? 'float' : 'integer',
    access: 'read-write',
    modbus: { table: 'holding', address, type, ...(order ? { order } : {}) },
    ...rest,
  };
};
const coil = (name: string, address: number): ModbusPoint => ({
  name,
  unit: '1',
  type: 'boolean',
  access: 'read-write',
  modbus: { table: 'coil', address, type: 'bool' },
});

const profile = (points: ModbusPoint[], writeMultiple = false): Profile => ({
  id: 'golden-writes',
  version: '1.0.0',
  manufacturer: 'Test',
  model: 'golden',
  description: 'write golden vectors',
  source: { document: 'test' },
  measurement: 'test',
  protocol: 'modbus',
  ...(writeMultiple ? { modbus: { writeMultiple: true } } : {}),
  points,
});

interface Vector {
  src: string;
  point: ModbusPoint;
  value: number | boolean;
  pdu: string;
  writeMultiple?: boolean;
}

const VECTORS: Vector[] = [
  { src: '[MB §6.5] coil 173 ON', point: coil('c173', 172), value: true, pdu: '05 00 AC FF 00' },
  { src: '[MB §6.5] coil 173 OFF', point: coil('c173', 172), value: false, pdu: '05 00 AC 00 00' },
  { src: '[MB §6.6] register 2 ← 3', point: holding('r2', 1, 'uint16'), value: 3, pdu: '06 00 01 00 03' },
  {
    src: '[MB §6.6] register 2 ← 3, as 0.3 with scale 0.1',
    point: holding('r2s', 1, 'uint16', { type: 'float', scale: 0.1 }),
    value: 0.3,
    pdu: '06 00 01 00 03',
  },
  {
    src: '[MB §6.11] rule: coil 20 ON by function 15 (writeMultiple)',
    point: coil('c20', 19),
    value: true,
    pdu: '0F 00 13 00 01 01 01',
    writeMultiple: true,
  },
  {
    src: '[MB §6.12] registers 2–3 ← 000A 0102 as uint32 ABCD (0x000A0102)',
    point: holding('u', 1, 'uint32'),
    value: 0x000a0102,
    pdu: '10 00 01 00 02 04 00 0A 01 02',
  },
  {
    src: '[MB §6.12] registers 2–3 ← 000A 0102 as uint32 CDAB (0x0102000A)',
    point: holding('u', 1, 'uint32', { order: 'CDAB' }),
    value: 0x0102000a,
    pdu: '10 00 01 00 02 04 00 0A 01 02',
  },
  {
    src: '[MB §6.12] function 16 for one register when writeMultiple',
    point: holding('r2', 1, 'uint16'),
    value: 3,
    pdu: '10 00 01 00 01 02 00 03',
    writeMultiple: true,
  },
  {
    src: '[PXC] float32 123.456 low word first (CDAB)',
    point: holding('f', 0, 'float32', { order: 'CDAB' }),
    value: 123.456,
    pdu: '10 00 00 00 02 04 E9 79 42 F6',
  },
  {
    src: '[PXC] uint32 305419896 low word first (CDAB)',
    point: holding('u', 0, 'uint32', { order: 'CDAB' }),
    value: 305419896,
    pdu: '10 00 00 00 02 04 56 78 12 34',
  },
  {
    src: '[HC] float32 -100.0 ABCD',
    point: holding('f', 0, 'float32'),
    value: -100,
    pdu: '10 00 00 00 02 04 C2 C8 00 00',
  },
  {
    src: '[VAI] int16 -12345, as -123.45 with scale 0.01',
    point: holding('t', 0, 'int16', { type: 'float', scale: 0.01 }),
    value: -123.45,
    pdu: '06 00 00 CF C7',
  },
  {
    src: 'rounding: 0.25 with scale 0.1 → 2.5 → 3 (half away from zero)',
    point: holding('h', 0, 'int16', { type: 'float', scale: 0.1 }),
    value: 0.25,
    pdu: '06 00 00 00 03',
  },
  {
    src: 'rounding: -0.25 with scale 0.1 → -2.5 → -3',
    point: holding('h', 0, 'int16', { type: 'float', scale: 0.1 }),
    value: -0.25,
    pdu: '06 00 00 FF FD',
  },
  {
    src: 'offset: 20.5 with offset -40 and scale 0.5 → 121',
    point: holding('o', 0, 'uint16', { type: 'float', scale: 0.5, offset: -40 }),
    value: 20.5,
    pdu: '06 00 00 00 79',
  },
];

describe('golden vectors: engineering value → Modbus TCP request PDU', () => {
  const peer = new CapturePeer(false);
  beforeAll(() => peer.start());
  afterAll(() => peer.stop());

  for (const v of VECTORS) {
    it(v.src, async () => {
      const d: Driver = createModbusDriver(
        modbusSpec(`modbus-tcp://127.0.0.1:${peer.port}`, {
          profile: profile([v.point], v.writeMultiple),
          points: [v.point],
          timeoutMs: 2000,
        }),
        context(),
      );
      try {
        const [r] = await d.write!([{ point: v.point, value: v.value }], {
          readback: false,
          deadline: Date.now() + 5000,
        });
        expect(r?.outcome, r?.reason).toBe('ok');
        expect(peer.last()).toBe(v.pdu);
      } finally {
        await d.close();
      }
    });
  }
});

describe('readback (fault injection: a peer that keeps another value)', () => {
  const peer = new CapturePeer(false);
  beforeAll(() => peer.start());
  afterAll(() => peer.stop());

  it('wrote 0.3 (raw 3), read raw 4 → readback-mismatch with the value read; raw 3 read → ok', async () => {
    const p = holding('sp', 1, 'uint16', { type: 'float', scale: 0.1 });
    const d = createModbusDriver(
      modbusSpec(`modbus-tcp://127.0.0.1:${peer.port}`, {
        profile: profile([p]),
        points: [p],
        timeoutMs: 2000,
      }),
      context(),
    );
    const opts = () => ({ readback: true, deadline: Date.now() + 5000 });
    try {
      peer.holds = [4];
      const [bad] = await d.write!([{ point: p, value: 0.3 }], opts());
      expect(bad).toMatchObject({ outcome: 'readback-mismatch', raw: [3], readback: 0.4 });
      expect(bad?.reason).toBe('wrote 0.3, read back 0.4');
      peer.holds = [3];
      const [ok] = await d.write!([{ point: p, value: 0.3 }], opts());
      expect(ok).toMatchObject({ outcome: 'ok', raw: [3], readback: 0.3 });
    } finally {
      await d.close();
    }
  });
});

describe('golden vectors: the RTU frame with its CRC', () => {
  const peer = new CapturePeer(true);
  beforeAll(() => peer.start());
  afterAll(() => peer.stop());

  it('[MT] coil 173 ON in slave 17 → 11 05 00 AC FF 00 4E 8B', async () => {
    const p = coil('c173', 172);
    const d = createModbusDriver(
      modbusSpec(`modbus-rtutcp://127.0.0.1:${peer.port}`, {
        unitId: 17,
        profile: profile([p]),
        points: [p],
        timeoutMs: 2000,
      }),
      context(),
    );
    try {
      const [r] = await d.write!([{ point: p, value: true }], {
        readback: false,
        deadline: Date.now() + 5000,
      });
      expect(r).toMatchObject({ outcome: 'ok', raw: true });
      expect(peer.last()).toBe('11 05 00 AC FF 00 4E 8B');
    } finally {
      await d.close();
    }
  });
});

/**
 * A FAKE fault-injection Modbus server that reproduces the special replies of libmodbus'
 * `unit-test-server` (libmodbus tests/unit-test-server.c with tests/unit-test.h.in) — the
 * strict third-party peer the issue was tried against. That program is not packaged by Debian
 * (libmodbus5 / libmodbus-dev carry the library only) and its repository cannot be fetched
 * here, so its behaviour is re-created from its published source, address by address:
 *
 *   SERVER_ID 17, INVALID_SERVER_ID 18; holding registers at UT_REGISTERS_ADDRESS 0x160
 *   (0x022B, 0x0001, 0x0064 — UT_REGISTERS_TAB)
 *   read of UT_REGISTERS_NB_SPECIAL (2) registers → "Set an incorrect number of values": the
 *       reply carries one register (RTU: `11 03 02 00 00 79 87`, a valid CRC)
 *   read at 0x170 UT_REGISTERS_ADDRESS_SPECIAL → exception 06 (server busy)
 *   read at 0x171 UT_REGISTERS_ADDRESS_INVALID_TID_OR_SLAVE → the raw reply `ff|12 03 02 00 00`:
 *       RTU from slave 18 instead of 17; TCP unit 0xFF with a transaction id the client never
 *       sent (libmodbus numbers it with the server's own counter)
 *   read at 0x172 UT_REGISTERS_ADDRESS_SLEEP_500_MS → answered 500 ms late
 *   read at 0x173 UT_REGISTERS_ADDRESS_BYTE_SLEEP_5_MS → answered one byte every 5 ms
 *
 * Our additions, for the rows of the agent's fault table libmodbus has no address for:
 *   read at 0x174 → the reply with its CRC inverted (RTU)
 *   read at 0x175 → a reply with the wrong function code (04 to an 03)
 *   unit `healthy` (default 1) → a normal server with registers 0..9 = 100 + address, so a
 *       healthy neighbour can share the connection; any other unit → no answer at all.
 *
 * One server speaks either Modbus TCP (MBAP) or RTU frames (over a TCP socket, or attached to
 * any byte stream such as a socat pty).
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { crc16, withCrc } from './rtu-slave.js';

export const UT = {
  SERVER_ID: 17,
  INVALID_SERVER_ID: 18,
  REGISTERS_ADDRESS: 0x160,
  REGISTERS_TAB: [0x022b, 0x0001, 0x0064],
  REGISTERS_NB_SPECIAL: 2,
  ADDRESS_SPECIAL: 0x170,
  ADDRESS_INVALID_TID_OR_SLAVE: 0x171,
  ADDRESS_SLEEP_500_MS: 0x172,
  ADDRESS_BYTE_SLEEP_5_MS: 0x173,
  /** ours */
  ADDRESS_BAD_CRC: 0x174,
  ADDRESS_WRONG_FUNCTION: 0x175,
} as const;

export type PeerMode = 'tcp' | 'rtu';

export interface UnitTestPeer {
  port: number;
  /** answer nothing at all while set (a hung device server, a half-open socket) */
  frozen: boolean;
  /** requests per unit */
  requests: Map<number, number>;
  /** attach an RTU byte stream (a pty end) */
  attach(stream: Duplex): void;
  close(): Promise<void>;
}

export async function startUnitTestPeer(
  mode: PeerMode,
  opts: { healthy?: number } = {},
): Promise<UnitTestPeer> {
  const healthy = opts.healthy ?? 1;
  const requests = new Map<number, number>();
  const sockets = new Set<Duplex>();
  const state = { frozen: false };
  let serverTid = 0x4000; // the server's own counter for raw requests (libmodbus' t_id), far from the client's

  function pdu(
    unit: number,
    fc: number,
    address: number,
    count: number,
  ): { unit: number; body: number[] } | 'silent' {
    if (state.frozen) return 'silent';
    if (unit === healthy) {
      if (fc !== 3 && fc !== 4) return { unit, body: [fc | 0x80, 1] };
      const body = [fc, count * 2];
      for (let i = 0; i < count; i++) body.push(0, (100 + address + i) & 0xff);
      return { unit, body };
    }
    if (unit !== UT.SERVER_ID) return 'silent';
    if (fc !== 3) return { unit, body: [fc | 0x80, 1] };
    let n = count;
    // as libmodbus: the count is looked at first, the special addresses only for other counts
    if (count === UT.REGISTERS_NB_SPECIAL)
      n = count - 1; // "Set an incorrect number of values"
    else if (address === UT.ADDRESS_SPECIAL) return { unit, body: [0x83, 6] };
    else if (address === UT.ADDRESS_INVALID_TID_OR_SLAVE) return { unit: -1, body: [0x03, 0x02, 0x00, 0x00] };
    const body = [address === UT.ADDRESS_WRONG_FUNCTION ? 4 : 3, n * 2];
    for (let i = 0; i < n; i++) {
      const w =
        address >= UT.REGISTERS_ADDRESS && address + i < UT.REGISTERS_ADDRESS + 3
          ? (UT.REGISTERS_TAB[address + i - UT.REGISTERS_ADDRESS] ?? 0)
          : 0;
      body.push(w >> 8, w & 0xff);
    }
    return { unit, body };
  }

  function send(stream: Duplex, bytes: Buffer, address: number): void {
    if (address === UT.ADDRESS_SLEEP_500_MS) {
      setTimeout(() => stream.destroyed || stream.write(bytes), 500);
    } else if (address === UT.ADDRESS_BYTE_SLEEP_5_MS) {
      for (let i = 0; i < bytes.length; i++) {
        const b = bytes.subarray(i, i + 1);
        setTimeout(() => stream.destroyed || stream.write(b), 5 * (i + 1));
      }
    } else stream.write(bytes);
  }

  function onRtu(stream: Duplex, frame: Buffer): void {
    const unit = frame[0]!;
    const fc = frame[1]!;
    const address = frame.readUInt16BE(2);
    const count = frame.readUInt16BE(4);
    requests.set(unit, (requests.get(unit) ?? 0) + 1);
    const r = pdu(unit, fc, address, count);
    if (r === 'silent') return;
    const reply = withCrc([r.unit < 0 ? UT.INVALID_SERVER_ID : r.unit, ...r.body]);
    if (unit === UT.SERVER_ID && address === UT.ADDRESS_BAD_CRC) reply[reply.length - 1]! ^= 0xff;
    send(stream, reply, unit === UT.SERVER_ID ? address : -1);
  }

  function onMbap(stream: Duplex, adu: Buffer): void {
    const tid = adu.readUInt16BE(0);
    const unit = adu[6]!;
    const fc = adu[7]!;
    const address = adu.readUInt16BE(8);
    const count = adu.readUInt16BE(10);
    requests.set(unit, (requests.get(unit) ?? 0) + 1);
    const r = pdu(unit, fc, address, count);
    if (r === 'silent') return;
    const body = Buffer.from(r.body);
    const out = Buffer.alloc(7 + body.length);
    out.writeUInt16BE(r.unit < 0 ? serverTid++ : tid, 0);
    out.writeUInt16BE(0, 2);
    out.writeUInt16BE(1 + body.length, 4);
    out[6] = r.unit < 0 ? 0xff : r.unit;
    body.copy(out, 7);
    send(stream, out, unit === UT.SERVER_ID ? address : -1);
  }

  function attach(stream: Duplex): void {
    sockets.add(stream);
    stream.on('close', () => sockets.delete(stream));
    stream.on('error', () => undefined);
    let buf = Buffer.alloc(0);
    stream.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (mode === 'tcp') {
        while (buf.length >= 12 && buf.length >= 6 + buf.readUInt16BE(4)) {
          const len = 6 + buf.readUInt16BE(4);
          onMbap(stream, buf.subarray(0, len));
          buf = buf.subarray(len);
        }
        return;
      }
      while (buf.length >= 8) {
        const f = buf.subarray(0, 8);
        if (crc16(f.subarray(0, 6)) !== f.readUInt16LE(6)) {
          buf = buf.subarray(1);
          continue;
        }
        buf = buf.subarray(8);
        onRtu(stream, Buffer.from(f));
      }
    });
  }

  const server: Server = createServer((s: Socket) => attach(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    get frozen() {
      return state.frozen;
    },
    set frozen(v: boolean) {
      state.frozen = v;
    },
    requests,
    attach,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Helpers for the simulator's integration tests. */
import { connect, type Socket } from 'node:net';
import { systemClock } from '@ganzhi/runtime';
import ModbusSerial from 'modbus-serial';
import { SimDevice } from '../src/device/sim-device.js';
import type { ModbusDevice } from '../src/modbus/answer.js';
import { meterProfile } from './fixtures/profiles.js';

export const ModbusClient = ModbusSerial.default;
export type ModbusClient = InstanceType<typeof ModbusSerial.default>;

export function meters(
  unitIds: number[],
  seed = 1,
): { units: Map<number, ModbusDevice>; devices: SimDevice[] } {
  const devices = unitIds.map(
    (u) =>
      new SimDevice({
        id: `meter-${u}`,
        profile: meterProfile,
        clock: systemClock,
        seed: seed + u,
        unitId: u,
      }),
  );
  return { units: new Map(devices.map((d) => [d.unitId!, d])), devices };
}

/** Sends raw bytes and collects what comes back until `ms` of quiet or the socket closes. */
export function rawExchange(
  port: number,
  bytes: Buffer,
  ms = 150,
): Promise<{ data: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let closed = false;
    const sock: Socket = connect(port, '127.0.0.1', () => sock.write(bytes));
    let t = setTimeout(finish, ms);
    function finish() {
      sock.destroy();
      resolve({ data: Buffer.concat(chunks), closed });
    }
    sock.on('data', (c) => {
      chunks.push(c);
      clearTimeout(t);
      t = setTimeout(finish, ms);
    });
    sock.on('error', () => {});
    sock.on('close', () => {
      closed = true;
      clearTimeout(t);
      resolve({ data: Buffer.concat(chunks), closed });
    });
  });
}

export function mbap(tid: number, unit: number, pdu: number[]): Buffer {
  const b = Buffer.alloc(7 + pdu.length);
  b.writeUInt16BE(tid, 0);
  b.writeUInt16BE(0, 2);
  b.writeUInt16BE(pdu.length + 1, 4);
  b[6] = unit;
  Buffer.from(pdu).copy(b, 7);
  return b;
}

/** Closes a modbus-serial client; one whose connection the server already dropped is left alone. */
export async function closeClient(c: ModbusClient): Promise<void> {
  if (!c.isOpen) return;
  await new Promise<void>((r) => c.close(() => r()));
}

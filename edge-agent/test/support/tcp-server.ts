/**
 * A modbus-serial ServerTCP holding the test-meter registers, with fault injection
 * (FAKE faults, for the driver tests before/alongside the simulators).
 */
import type { AddressInfo, Server, Socket } from 'node:net';
import ModbusSerial from 'modbus-serial';
import { freePort } from '../../../test-support/process.js';
import { f32 } from '../helpers.js';

const { ServerTCP } = ModbusSerial as unknown as typeof import('modbus-serial');

export type Fault = 'none' | 'timeout' | 'exception04' | 'reject-gap';

export interface TestServer {
  port: number;
  holding: Map<number, number>;
  input: Map<number, number>;
  coils: Map<number, boolean>;
  fault: Fault;
  /** per unit id: false = does not answer */
  units: Map<number, boolean>;
  requests: number;
  dropConnections(): void;
  close(): Promise<void>;
}

export async function startTestServer(fixedPort?: number): Promise<TestServer> {
  // ServerTCP treats port 0 as its default 502, so take a free port first
  const port = fixedPort ?? (await freePort());
  const input = new Map<number, number>();
  const holding = new Map<number, number>();
  const coils = new Map<number, boolean>([[0, true]]);
  const [v0, v1] = f32(230.5);
  const [c0, c1] = f32(5.25);
  input.set(0, v0).set(1, v1).set(2, c1).set(3, c0); // current is CDAB
  holding.set(10, 0x0001).set(11, 0xe240); // 123456
  holding.set(14, 0xffcc); // -52
  const state = { fault: 'none' as Fault, requests: 0 };
  const units = new Map<number, boolean>();
  const never = () => new Promise<number>(() => undefined);
  const check = (addr: number, unit: number, table: Map<number, unknown>) => {
    state.requests++;
    if (units.get(unit) === false || state.fault === 'timeout') return false;
    if (state.fault === 'exception04') throw { modbusErrorCode: 4 };
    if (!table.has(addr) && (state.fault === 'reject-gap' || addr > 100)) throw { modbusErrorCode: 2 };
    return true;
  };
  const vector = {
    getInputRegister: (addr: number, unit: number) =>
      check(addr, unit, input) ? (input.get(addr) ?? 0) : never(),
    getHoldingRegister: (addr: number, unit: number) =>
      check(addr, unit, holding) ? (holding.get(addr) ?? 0) : never(),
    getCoil: (addr: number, unit: number) =>
      check(addr, unit, coils) ? (coils.get(addr) ?? false) : (never() as unknown as Promise<boolean>),
  };
  const server = new ServerTCP(vector, { host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => {
    server.on('initialized', () => resolve());
    server.on('serverError', (e) => reject(e));
  });
  server.on('socketError', () => undefined);
  const net = (server as unknown as { _server: Server })._server;
  const sockets = new Set<Socket>();
  net.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return {
    port: (net.address() as AddressInfo).port,
    holding,
    input,
    coils,
    units,
    get fault() {
      return state.fault;
    },
    set fault(f: Fault) {
      state.fault = f;
    },
    get requests() {
      return state.requests;
    },
    dropConnections() {
      for (const s of sockets) s.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

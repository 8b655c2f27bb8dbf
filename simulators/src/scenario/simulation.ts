/**
 * A running scenario: its devices, and one listener (or bus) per endpoint. Devices that
 * share an endpoint share the port (Modbus unit ids, one OPC-UA server). Start-up is all
 * or nothing: if any endpoint cannot start, the ones already up are closed again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Clock, systemClock } from '@ganzhi/runtime';
import type { Logger } from 'pino';
import { startCjt188SerialBus, startCjt188TcpBus } from '../cjt188/meter-bus.js';
import { SimDevice } from '../device/sim-device.js';
import { startDlt645SerialBus, startDlt645TcpBus } from '../dlt645/meter-bus.js';
import { type Hj212DataLogger, startHj212Logger } from '../hj212/data-logger.js';
import type { ModbusDevice } from '../modbus/answer.js';
import { startModbusRtuSerialServer } from '../modbus/rtu-serial-server.js';
import { startModbusRtuTcpServer } from '../modbus/rtu-tcp-server.js';
import { startModbusTcpServer } from '../modbus/tcp-server.js';
import { startSerialPortDevice, startSerialTcpDevice } from '../serial/emitter.js';
import type { DeviceInstance, LoadedScenario } from './load.js';
import type { Endpoint } from './schema.js';

export interface EndpointInfo {
  key: string;
  protocol: Endpoint['protocol'];
  host?: string;
  port?: number;
  path?: string;
  url?: string;
  devices: string[];
}

export interface DeviceInfo {
  id: string;
  profile: string;
  protocol: Endpoint['protocol'];
  endpoint: string;
  /** where it is served right now: host:port, opc.tcp:// url or serial device path */
  address?: string;
  unit?: number;
  /** DL/T 645 / CJ/T 188: the meter's address on its bus */
  meterAddress?: string;
  /** HJ 212 logger MN */
  mn?: string;
  district?: string;
  gateway?: string;
}

export interface SimulationOptions {
  loaded: LoadedScenario;
  clock?: Clock;
  logger?: Logger;
  /** listen on port 0 (any free port) instead of the ports in the file */
  anyPort?: boolean;
  /** signal and fault time origin; default clock.now() */
  origin?: number;
}

interface Running {
  info: EndpointInfo;
  close(): Promise<void>;
}

export class Simulation {
  readonly devices = new Map<string, SimDevice>();
  /** the HJ 212 data loggers, by device id (their counters and journal are the ground truth) */
  readonly loggers = new Map<string, Hj212DataLogger>();
  private readonly instances = new Map<string, DeviceInstance>();
  private readonly running: Running[] = [];
  private pkiDir: string | undefined;

  private constructor(private readonly opts: SimulationOptions) {
    const clock = opts.clock ?? systemClock;
    const origin = opts.origin ?? clock.now();
    for (const inst of opts.loaded.devices) {
      const d = new SimDevice({
        id: inst.id,
        profile: inst.profile,
        clock,
        seed: inst.seed,
        origin,
        unitId: inst.unit,
        signals: inst.signals,
        faults: inst.faults,
        strictAddresses: inst.strictAddresses,
        baseDir: opts.loaded.baseDir,
        ...(inst.relations ? { relations: inst.relations } : {}),
      });
      this.devices.set(inst.id, d);
      this.instances.set(inst.id, inst);
    }
  }

  static async start(opts: SimulationOptions): Promise<Simulation> {
    const sim = new Simulation(opts);
    try {
      await sim.startEndpoints();
    } catch (err) {
      await sim.stop();
      throw err;
    }
    return sim;
  }

  private async startEndpoints(): Promise<void> {
    const groups = new Map<string, DeviceInstance[]>();
    for (const inst of this.instances.values()) {
      const g = groups.get(inst.endpointKey) ?? [];
      g.push(inst);
      groups.set(inst.endpointKey, g);
    }
    const log = this.opts.logger;
    for (const [key, insts] of groups) {
      const e = insts[0]!.endpoint;
      const ids = insts.map((i) => i.id);
      const devs = ids.map((id) => this.devices.get(id)!);
      const port = 'port' in e ? (this.opts.anyPort ? 0 : e.port) : 0;
      const host = ('host' in e ? e.host : undefined) ?? '127.0.0.1';
      const units = new Map<number, ModbusDevice>(devs.map((d) => [d.unitId ?? 1, d]));
      const seed = devs[0]!.seed;
      const logger = log?.child({ endpoint: key });
      const common = { ...(logger ? { logger } : {}), seed };
      switch (e.protocol) {
        case 'modbus-tcp': {
          const l = await startModbusTcpServer({ host, port, units, ...common });
          this.running.push({
            info: { key, protocol: e.protocol, host, port: l.port, devices: ids },
            close: l.close,
          });
          break;
        }
        case 'modbus-rtu-tcp': {
          const l = await startModbusRtuTcpServer({ host, port, units, ...common });
          this.running.push({
            info: { key, protocol: e.protocol, host, port: l.port, devices: ids },
            close: l.close,
          });
          break;
        }
        case 'modbus-rtu': {
          const l = await startModbusRtuSerialServer({
            path: e.device,
            ...(e.baudRate ? { baudRate: e.baudRate } : {}),
            units,
            ...common,
          });
          this.running.push({
            info: { key, protocol: e.protocol, path: e.device, devices: ids },
            close: l.close,
          });
          break;
        }
        case 'serial-tcp': {
          const inst = insts[0]!;
          const l = await startSerialTcpDevice({
            device: devs[0]!,
            host,
            port,
            ...(inst.intervalMs ? { intervalMs: inst.intervalMs } : {}),
            ...common,
          });
          this.running.push({
            info: { key, protocol: e.protocol, host, port: l.port, devices: ids },
            close: l.close,
          });
          break;
        }
        case 'serial': {
          const inst = insts[0]!;
          const l = await startSerialPortDevice({
            device: devs[0]!,
            path: e.device,
            ...(e.baudRate ? { baudRate: e.baudRate } : {}),
            ...(inst.intervalMs ? { intervalMs: inst.intervalMs } : {}),
            ...common,
          });
          this.running.push({
            info: { key, protocol: e.protocol, path: e.device, devices: ids },
            close: l.close,
          });
          break;
        }
        case 'dlt645-tcp':
        case 'dlt645':
        case 'cjt188-tcp':
        case 'cjt188': {
          // the two meter buses differ only in their servers: one per protocol, TCP or serial
          const meters = insts.map((i) => ({ address: i.address!, device: this.devices.get(i.id)! }));
          const dlt = e.protocol === 'dlt645-tcp' || e.protocol === 'dlt645';
          const bus =
            e.protocol === 'dlt645-tcp' || e.protocol === 'cjt188-tcp'
              ? await (dlt ? startDlt645TcpBus : startCjt188TcpBus)({ host, port, meters, ...common })
              : await (dlt ? startDlt645SerialBus : startCjt188SerialBus)({
                  path: e.device,
                  ...(e.baudRate ? { baudRate: e.baudRate } : {}),
                  meters,
                  ...common,
                });
          this.running.push({
            info: {
              key,
              protocol: e.protocol,
              ...(bus.port !== undefined ? { host, port: bus.port } : { path: bus.path! }),
              devices: ids,
            },
            close: bus.close,
          });
          break;
        }
        case 'hj212': {
          // each logger connects out to the platform on its own; retrying until the platform listens
          for (const inst of insts) {
            const l = startHj212Logger({
              device: this.devices.get(inst.id)!,
              host,
              port: e.port,
              mn: inst.mn!,
              pw: inst.pw!,
              ...(inst.intervalMs ? { intervalMs: inst.intervalMs } : {}),
              ...(e.ack !== undefined ? { ack: e.ack } : {}),
              ...(e.ackTimeoutMs !== undefined ? { ackTimeoutMs: e.ackTimeoutMs } : {}),
              ...common,
            });
            this.loggers.set(inst.id, l);
          }
          this.running.push({
            info: { key, protocol: e.protocol, host, port: e.port, devices: ids },
            close: async () => {
              for (const id of ids) await this.loggers.get(id)?.stop();
            },
          });
          break;
        }
        case 'opcua': {
          const o = this.opts.loaded.scenario.opcua ?? {};
          this.pkiDir ??= o.pkiDir ?? mkdtempSync(join(tmpdir(), 'ganzhi-sim-pki-'));
          const { startOpcuaServer } = await import('../opcua/index.js');
          const security = {
            ...(o.modes ? { modes: o.modes } : {}),
            ...(o.users ? { users: o.users } : {}),
            ...(o.allowAnonymous !== undefined ? { allowAnonymous: o.allowAnonymous } : {}),
          };
          const h = await startOpcuaServer({
            host,
            port,
            devices: devs,
            pkiDir: o.pkiDir ?? join(this.pkiDir, key.replace(/[^a-z0-9]+/gi, '-')),
            security,
            ...(o.tickMs ? { tickMs: o.tickMs } : {}),
            ...(logger ? { logger } : {}),
          });
          this.running.push({
            info: { key, protocol: e.protocol, host, port: h.port, url: h.endpointUrl, devices: ids },
            close: h.close,
          });
          break;
        }
      }
    }
  }

  endpoints(): EndpointInfo[] {
    return this.running.map((r) => r.info);
  }

  describe(id: string): DeviceInfo | undefined {
    const inst = this.instances.get(id);
    if (!inst) return undefined;
    const ep = this.running.find((r) => r.info.key === inst.endpointKey)?.info;
    const address = ep && (ep.url ?? ep.path ?? `${ep.host}:${ep.port}`);
    return {
      id,
      profile: inst.profile.id,
      protocol: inst.endpoint.protocol,
      endpoint: inst.endpointKey,
      ...(address ? { address } : {}),
      ...(inst.endpoint.protocol.startsWith('modbus') ? { unit: inst.unit } : {}),
      ...(inst.address ? { meterAddress: inst.address } : {}),
      ...(inst.mn ? { mn: inst.mn } : {}),
      ...(inst.district ? { district: inst.district } : {}),
      ...(inst.gateway ? { gateway: inst.gateway } : {}),
    };
  }

  async stop(): Promise<void> {
    const all = this.running.splice(0);
    await Promise.allSettled(all.map((r) => r.close()));
    if (this.pkiDir && !this.opts.loaded.scenario.opcua?.pkiDir) {
      rmSync(this.pkiDir, { recursive: true, force: true });
    }
    this.pkiDir = undefined;
  }
}

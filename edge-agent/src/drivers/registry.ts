/**
 * Drivers by endpoint scheme. Each driver folder is imported only when a config uses it,
 * so a gateway with Modbus devices only never loads node-opcua (~130 MB).
 */
import type { EndpointScheme } from '../config/endpoint.js';
import { AgentError } from '../errors.js';
import type { DriverFactory } from './driver.js';

export type DriverLoader = () => Promise<DriverFactory>;

export const builtinDrivers: Record<EndpointScheme, DriverLoader> = {
  'modbus-tcp': async () => (await import('./modbus/index.js')).createModbusDriver,
  'modbus-rtu': async () => (await import('./modbus/index.js')).createModbusDriver,
  'modbus-rtutcp': async () => (await import('./modbus/index.js')).createModbusDriver,
  'opc.tcp': async () => (await import('./opcua/index.js')).createOpcuaDriver,
  serial: async () => (await import('./serial/index.js')).createSerialDriver,
  'serial-tcp': async () => (await import('./serial/index.js')).createSerialDriver,
};

export class DriverRegistry {
  private readonly loaded = new Map<string, Promise<DriverFactory>>();
  constructor(private readonly loaders: Record<string, DriverLoader> = builtinDrivers) {}

  schemes(): string[] {
    return Object.keys(this.loaders);
  }

  load(scheme: string): Promise<DriverFactory> {
    let p = this.loaded.get(scheme);
    if (!p) {
      const loader = this.loaders[scheme];
      if (!loader) {
        return Promise.reject(
          new AgentError('GZ_AGENT_DRIVER_UNKNOWN', `no driver for endpoint scheme "${scheme}"`),
        );
      }
      p = loader();
      this.loaded.set(scheme, p);
    }
    return p;
  }
}

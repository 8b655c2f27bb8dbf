/**
 * Drivers by endpoint scheme, from the protocol table. A protocol's driver is imported only
 * when a config uses it, so a gateway with Modbus devices only never loads node-opcua (~130 MB).
 */
import { AgentError } from '../errors.js';
import type { DriverFactory } from './driver.js';
import { protocolModules } from './protocols.js';

export type DriverLoader = () => Promise<DriverFactory>;

export class DriverRegistry {
  private readonly loaded = new Map<string, Promise<DriverFactory>>();
  private readonly loaders: Map<string, DriverLoader>;

  /** `loaders` by scheme replace the protocol table's (tests inject drivers this way). */
  constructor(loaders?: Record<string, DriverLoader>) {
    this.loaders = new Map(
      loaders
        ? Object.entries(loaders)
        : protocolModules.flatMap((m) => Object.keys(m.schemes).map((s) => [s, () => m.load()] as const)),
    );
  }

  schemes(): string[] {
    return [...this.loaders.keys()];
  }

  load(scheme: string): Promise<DriverFactory> {
    let p = this.loaded.get(scheme);
    if (!p) {
      const loader = this.loaders.get(scheme);
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

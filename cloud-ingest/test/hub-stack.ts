/**
 * The hub's stack as the command and fleet tests start it, every part real: our broker
 * (real-broker.ts: the users given, district ACL, TCP on a free loopback port, every password
 * `<user>-password`) and the ingest (testConfig in `dir`, the store given) logged in as the
 * broker user `ingest`, with hub operators and the hub's MQTT user `hub`. Ready once the
 * ingest's receiver and the hub's command client are both connected.
 *
 * Stopping is the test's: `ingest.close()`, then `broker.close()` (in that order, in its
 * afterAll). Only when the start fails does this close what it started (ingest, then broker)
 * before the error is thrown.
 */
import { waitFor } from '../../test-support/process.js';
import type { IngestConfig } from '../src/config.js';
import { type Ingest, type IngestDeps, startIngest } from '../src/ingest.js';
import type { operator } from './command-fixtures.js';
import { testConfig } from './e2e-helpers.js';
import { type RealBroker, startRealBroker } from './real-broker.js';

export interface HubStackOptions {
  /** broker users: name → entry without its hash (role, district, gateway, delegate, …) */
  users: Record<string, Record<string, unknown>>;
  /** the temp dir the ingest keeps everything in */
  dir: string;
  /** the ingest's `store` section */
  store: unknown;
  /** the ingest's MQTT client id */
  clientId: string;
  /** the hub's operators (command-fixtures.ts `operator()`: password `<name>-secret`) */
  operators: Awaited<ReturnType<typeof operator>>[];
  /** further `hub` settings (commandsFile, loginThrottle, …) */
  hub?: Record<string, unknown>;
  logger: IngestDeps['logger'];
}

export interface HubStack {
  broker: RealBroker;
  ingest: Ingest;
  cfg: IngestConfig;
}

export async function startHubStack(o: HubStackOptions): Promise<HubStack> {
  const broker = await startRealBroker(o.users as never);
  let ingest: Ingest | undefined;
  try {
    const cfg = testConfig(o.dir, broker.url, o.store, {
      mqtt: { url: broker.url, clientId: o.clientId, username: 'ingest', password: 'ingest-password' },
      hub: {
        operators: o.operators,
        mqtt: { clientId: 'hub', username: 'hub', password: 'hub-password' },
        ...o.hub,
      },
    });
    const started = await startIngest(cfg, { logger: o.logger });
    ingest = started;
    await waitFor('ingest and hub connected', () =>
      started.receiver.connected && started.commandClient?.connected ? true : undefined,
    );
    return { broker, ingest: started, cfg };
  } catch (e) {
    await ingest?.close();
    await broker.close();
    throw e;
  }
}

/**
 * `ingest.http.inject` as the hub's API tests call it: `auth` as the Authorization header, a
 * body sent as JSON (a string as it is), from `remoteAddress`. `ingest` is read at each call.
 */
export function hubApi(ingest: () => Ingest) {
  return (method: string, url: string, auth?: string, body?: unknown, remoteAddress = '127.0.0.1') =>
    ingest().http.inject({
      method: method as 'GET',
      url,
      remoteAddress,
      headers: {
        ...(auth ? { authorization: auth } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { payload: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
}

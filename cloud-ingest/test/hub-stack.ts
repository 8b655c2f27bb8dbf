/**
 * The hub's stack as the command and fleet tests start it, every part real: our broker
 * (real-broker.ts: district ACL, TCP on a free loopback port, every password `<user>-password`)
 * with the users the stack itself logs in as — `ingest`, and `hub`, an operator with `delegate`
 * as deployed — plus a gateway user per gateway (named as the gateway) and any others given;
 * and the ingest (testConfig in `dir`, SQLite in `dir` unless another store is given) logged in
 * as `ingest`, with hub operators and the hub's MQTT user `hub`. Ready once the ingest's
 * receiver and the hub's command client are both connected.
 *
 * Stopping is the test's: `ingest.close()`, then `broker.close()` (in that order, in its
 * afterAll; `influx.close()` last for the InfluxDB stack). Only when the start fails does this
 * close what it started before the error is thrown.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { type InfluxdPeer, startInfluxd } from '../../test-support/influxdb.js';
import { tempDir, waitFor } from '../../test-support/process.js';
import type { IngestConfig } from '../src/config.js';
import { type Ingest, type IngestDeps, startIngest } from '../src/ingest.js';
import { operator } from './command-fixtures.js';
import { testConfig } from './e2e-helpers.js';
import { type RealBroker, startRealBroker } from './real-broker.js';

/** A login back-off far longer than any test: no assertion depends on how fast it runs. */
export const LONG_BACKOFF = { firstBackoffMs: 3_600_000, maxBackoffMs: 3_600_000 };

export interface HubStackOptions {
  /** the districts the hub's MQTT user may act in */
  hubDistricts: string[];
  /** district → its gateways; each gets a gateway user of the same name */
  gateways: Record<string, string[]>;
  /** further broker users: name → entry without its hash (e.g. a watching admin) */
  users?: Record<string, Record<string, unknown>>;
  /** the temp dir the ingest keeps everything in */
  dir: string;
  /** the ingest's `store` section; SQLite `dir`/ingest.db when absent */
  store?: unknown;
  /** the ingest's MQTT client id */
  clientId: string;
  /** the hub's operators: name → districts (password `<name>-secret`, command-fixtures.ts) */
  operators: Record<string, string[]>;
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
  const users: Record<string, Record<string, unknown>> = {
    ingest: { role: 'ingest' },
    hub: { role: 'operator', districts: o.hubDistricts, delegate: true },
    ...o.users,
  };
  for (const [district, gateways] of Object.entries(o.gateways))
    for (const gateway of gateways) users[gateway] = { role: 'gateway', district, gateway };
  const broker = await startRealBroker(users as never);
  let ingest: Ingest | undefined;
  try {
    const operators = await Promise.all(Object.entries(o.operators).map(([n, ds]) => operator(n, ds)));
    const cfg = testConfig(o.dir, broker.url, o.store ?? { type: 'sqlite', file: join(o.dir, 'ingest.db') }, {
      mqtt: { url: broker.url, clientId: o.clientId, username: 'ingest', password: 'ingest-password' },
      hub: { operators, mqtt: { clientId: 'hub', username: 'hub', password: 'hub-password' }, ...o.hub },
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
 * The stack of the InfluxDB audit tests: a real influxd (test-support/influxdb.ts) with a
 * database `audit`, and the hub stack storing into it (InfluxDB v1), its SQLite audit in
 * `<dir>/commands.db`, operator alice of north, gateway gw-n of north.
 */
export async function startInfluxAuditStack(o: {
  dirPrefix: string;
  hubDistricts: string[];
  clientId: string;
  logger: IngestDeps['logger'];
}): Promise<HubStack & { influx: InfluxdPeer }> {
  const influx = await startInfluxd();
  try {
    await influx.createDatabase('audit');
    const dir = tempDir(o.dirPrefix);
    const stack = await startHubStack({
      hubDistricts: o.hubDistricts,
      gateways: { north: ['gw-n'] },
      dir,
      store: { type: 'influxdb-v1', url: influx.url, database: 'audit' },
      clientId: o.clientId,
      operators: { alice: ['north'] },
      hub: { commandsFile: join(dir, 'commands.db') },
      logger: o.logger,
    });
    return { ...stack, influx };
  } catch (e) {
    await influx.close();
    throw e;
  }
}

/**
 * A hub CLI (`cloud-ingest/bin/<name>.js`) as an operator runs it: a child process of this Node
 * with only PATH and `env` (alice's password unless given) in its environment; resolves with
 * its exit code, stdout and stderr once it has exited by itself.
 */
export function hubCli(name: string) {
  const bin = new URL(`../bin/${name}.js`, import.meta.url).pathname;
  return (args: string[], env: Record<string, string> = { GANZHI_HUB_PASSWORD: 'alice-secret' }) =>
    new Promise<{ code: number; out: string; err: string }>((resolve) => {
      execFile(
        process.execPath,
        [bin, ...args],
        { env: { PATH: process.env.PATH ?? '', ...env } },
        (e, out, err) => resolve({ code: e ? ((e as { code?: number }).code ?? 1) : 0, out, err }),
      );
    });
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

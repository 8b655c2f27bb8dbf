/**
 * Commissioning from one small file (issue 16): a gateway with no config of its own, only a
 * bootstrap file (who it is, where the hub's broker is, how it logs in), connects, waits for
 * its retained desired config, checks it with the validator of `ganzhi-agent validate`,
 * writes it atomically as its config file, and then runs it like any other.
 *
 *   gateway: gw-12
 *   district: north
 *   broker:
 *     url: mqtts://hub.example:8883
 *     username: gw-12
 *     password: ${FILE:/etc/ganzhi/mqtt-password}
 *     caFile: ca.pem            # optional, relative to this file
 *   config: gateway.json        # where the fetched config is written (default, next to this file)
 *
 * A desired config with problems is reported (`rejected`, with every problem's path) on the
 * gateway's config-state topic, and the gateway keeps waiting for a better one.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import {
  type ConfigState,
  decodeDesiredConfig,
  encodeConfigState,
  gatewayTopic,
  isValidId,
} from '@ganzhi/device-profiles';
import mqtt from 'mqtt';
import type { Logger } from 'pino';
import { parse as parseYaml } from 'yaml';
import { parseConfig } from '../config/load-config.js';
import { resolveSecrets } from '../config/secrets.js';
import { AgentError } from '../errors.js';
import { writeFileAtomic } from './atomic-write.js';
import { NOT_STAMPED } from './controller.js';
import { writeFleetRecord } from './fleet-state.js';

export interface BootstrapFile {
  gateway: string;
  district: string;
  broker: {
    url: string;
    username?: string;
    password?: string;
    caFile?: string;
    rejectUnauthorized?: boolean;
  };
  config?: string;
}

export interface Bootstrap extends BootstrapFile {
  file: string;
  /** absolute path of the config file the fetched config becomes */
  configFile: string;
}

export function readBootstrap(file: string, env: NodeJS.ProcessEnv = process.env): Bootstrap {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new AgentError(
      'GZ_AGENT_CONFIG_INVALID',
      `${file}: cannot read the bootstrap file (${(err as Error).message.slice(0, 120)})`,
    );
  }
  const b = doc as Partial<BootstrapFile> | null;
  const problems: string[] = [];
  if (typeof b?.gateway !== 'string' || !isValidId(b.gateway))
    problems.push('gateway: a gateway id is required');
  if (typeof b?.district !== 'string' || !isValidId(b.district))
    problems.push('district: a district id is required');
  if (typeof b?.broker?.url !== 'string' || !/^(mqtts?|wss?):\/\//.test(b.broker.url))
    problems.push('broker.url: an mqtt://, mqtts://, ws:// or wss:// URL is required');
  if (b?.config !== undefined && typeof b.config !== 'string') problems.push('config: a file name');
  const baseDir = dirname(resolve(file));
  const resolved = resolveSecrets(b?.broker ?? {}, { env, baseDir });
  for (const p of resolved.problems) problems.push(`broker.${p.path.join('.')}: ${p.message}`);
  if (problems.length > 0) throw new AgentError('GZ_AGENT_CONFIG_INVALID', `${file}: ${problems.join('; ')}`);
  const ok = b as BootstrapFile;
  const target = ok.config ?? 'gateway.json';
  return {
    ...ok,
    broker: resolved.value as BootstrapFile['broker'],
    file,
    configFile: isAbsolute(target) ? target : join(baseDir, target),
  };
}

/**
 * Connects with the bootstrap credential, waits for a valid desired config, writes it.
 * Resolves the config file's path. Nothing is written for a config with problems.
 */
export async function fetchDesiredConfig(
  boot: Bootstrap,
  opts: { logger: Logger; env?: NodeJS.ProcessEnv; signal?: AbortSignal },
): Promise<string> {
  const { logger } = opts;
  const env = opts.env ?? process.env;
  const topic = gatewayTopic(boot.district, boot.gateway, 'config');
  const stateTopic = gatewayTopic(boot.district, boot.gateway, 'config-state');
  const b = boot.broker;
  const client = mqtt.connect(b.url, {
    clientId: `gz-${boot.district}-${boot.gateway}.bootstrap`,
    protocolVersion: 4,
    clean: true,
    reconnectPeriod: 2000,
    writeCache: false, // no 6 MB table of packet-id buffers (see delivery/uplink.ts)
    ...(b.username !== undefined ? { username: b.username } : {}),
    ...(b.password !== undefined ? { password: b.password } : {}),
    ...(b.caFile !== undefined ? { ca: readFileSync(resolve(dirname(resolve(boot.file)), b.caFile)) } : {}),
    rejectUnauthorized: b.rejectUnauthorized ?? true,
  });
  client.on('error', (err) => logger.warn({ err: err.message }, 'bootstrap: broker error'));
  client.on('connect', () => {
    logger.info({ topic }, 'bootstrap: connected; waiting for the desired config');
    client.subscribe(topic, { qos: 1 });
  });
  try {
    return await new Promise<string>((resolveDone, reject) => {
      opts.signal?.addEventListener('abort', () => reject(new Error('bootstrap aborted')));
      client.on('message', (t, payload) => {
        if (t !== topic || payload.length === 0) return; // empty: cleared on the hub, keep waiting
        const d = decodeDesiredConfig(payload);
        const report = (s: Omit<ConfigState, 'v' | 'ts' | 'appliedVersion'>) =>
          client.publish(stateTopic, encodeConfigState({ v: 1, ts: Date.now(), appliedVersion: 0, ...s }), {
            qos: 1,
            retain: true,
          });
        if (!d.ok) {
          logger.warn({ error: d.error }, 'bootstrap: desired config refused');
          report({ status: 'rejected', reason: `desired config refused: ${d.error}`.slice(0, 256) });
          return;
        }
        if (d.value.issuer === undefined) {
          logger.warn({ version: d.value.version }, 'bootstrap: desired config not stamped by a broker');
          report({ status: 'rejected', desiredVersion: d.value.version, reason: NOT_STAMPED });
          return;
        }
        const text = `${JSON.stringify(d.value.config, null, 2)}\n`;
        const loaded = parseConfig(text, boot.configFile, { env });
        const problems = loaded.problems.map((p) => ({
          path: (p.path || '(root)').slice(0, 256),
          message: p.message.slice(0, 256),
        }));
        if (
          loaded.config &&
          (loaded.config.gateway !== boot.gateway || loaded.config.district !== boot.district)
        )
          problems.push({ path: 'gateway', message: 'the config names another gateway or district' });
        if (problems.length > 0 || !loaded.config) {
          logger.warn(
            { problems: problems.length, version: d.value.version },
            'bootstrap: desired config has problems',
          );
          report({
            status: 'rejected',
            desiredVersion: d.value.version,
            desiredHash: d.value.hash,
            reason: `config has ${problems.length} problem(s)`,
            problems: problems.slice(0, 64),
          });
          return;
        }
        const stateDir = resolve(dirname(boot.configFile), loaded.config.stateDir ?? 'state');
        mkdirSync(stateDir, { recursive: true });
        // the record first (as pending), then the config: a crash in between is reconciled at start
        const record = {
          appliedVersion: 0,
          status: 'applying' as const,
          ts: Date.now(),
          pending: { version: d.value.version, hash: d.value.hash },
        };
        writeFleetRecord(join(stateDir, 'fleet.json'), record);
        writeFileAtomic(boot.configFile, text);
        logger.info({ version: d.value.version, file: boot.configFile }, 'bootstrap: desired config written');
        resolveDone(boot.configFile);
      });
    });
  } finally {
    await client.endAsync().catch(() => undefined);
  }
}

/** The config file to run: the one already there, or the one the hub has for this gateway. */
export async function configFromBootstrap(
  bootFile: string,
  opts: { logger: Logger; env?: NodeJS.ProcessEnv },
): Promise<string> {
  const boot = readBootstrap(bootFile, opts.env);
  if (existsSync(boot.configFile)) return boot.configFile;
  return fetchDesiredConfig(boot, opts);
}

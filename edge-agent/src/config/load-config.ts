/**
 * Loads and checks a gateway config: YAML with line numbers, the TypeBox schema, secret
 * references, and the checks a schema cannot make (profile ids exist, point names exist in
 * the profile, endpoints parse and fit the profile's protocol, ids unique, one serial line
 * with one set of line settings). Every problem is reported at once.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import {
  builtinProfilesDir,
  formatPath,
  isModbusPoint,
  isValidId,
  type Point,
  type Problem,
  type Profile,
  ProfileRegistry,
  parseYamlDocument,
  RESERVED_DEVICE_IDS,
  validateAgainst,
} from '@ganzhi/device-profiles';
import type { DeviceSpec } from '../drivers/driver.js';
import { AgentConfig, DEFAULTS, type DeviceConfig, type PointOverride } from './config-schema.js';
import { type Endpoint, lineKey, parseEndpoint, SCHEME_PROTOCOL } from './endpoint.js';
import { resolveSecrets } from './secrets.js';

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** profiles to resolve against; default builtin + the config's profileDirs */
  registry?: ProfileLookup;
}

export interface ProfileLookup {
  get(id: string): Profile | undefined;
  list(): Profile[];
}

export interface LoadedConfig {
  file: string;
  config?: AgentConfig;
  /** enabled devices, resolved; empty when there are problems */
  devices: DeviceSpec[];
  problems: Problem[];
}

type Locate = (path: readonly (string | number)[]) => { line: number; column: number } | undefined;

export function loadConfigFile(file: string, opts: LoadOptions = {}): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'unreadable';
    return { file, devices: [], problems: [{ file, path: '', message: `cannot read config (${code})` }] };
  }
  return parseConfig(text, file, opts);
}

export function parseConfig(text: string, file: string, opts: LoadOptions = {}): LoadedConfig {
  const doc = parseYamlDocument(text, file);
  if (doc.problems.length > 0 || doc.value === undefined) {
    return { file, devices: [], problems: doc.problems };
  }
  const locate: Locate = doc.locate;
  const at = (path: (string | number)[], message: string): Problem => {
    const loc = locate(path);
    return { file, ...(loc ? { line: loc.line, column: loc.column } : {}), path: formatPath(path), message };
  };
  const problems = validateAgainst(AgentConfig, doc.value, file, locate);
  const baseDir = dirname(resolve(file));
  const secrets = resolveSecrets(doc.value, { env: opts.env ?? process.env, baseDir });
  problems.push(...secrets.problems.map((p) => at(p.path, p.message)));
  if (problems.length > 0 && !isObject(doc.value)) return { file, devices: [], problems };
  const config = secrets.value as AgentConfig;

  let registry = opts.registry;
  if (!registry) {
    const dirs = (Array.isArray(config.profileDirs) ? config.profileDirs : [])
      .filter((d): d is string => typeof d === 'string')
      .map((d) => resolve(baseDir, d));
    // A builtin profile that fails to load is the package's defect, not the config's: the
    // devices using it are reported as having an unknown profile.
    const builtin = ProfileRegistry.load([builtinProfilesDir]).registry;
    const extra = dirs.length > 0 ? ProfileRegistry.load(dirs) : undefined;
    if (extra) problems.push(...extra.problems);
    registry = combined(builtin, extra?.registry);
  }

  const usable: { d: DeviceConfig; profile: Profile; endpoint: Endpoint }[] = [];
  const ids = new Map<string, number>();
  const lines = new Map<string, { settings: string; index: number; units: Map<number, number> }>();
  const list = Array.isArray(config.devices) ? config.devices : [];
  list.forEach((d, i) => {
    if (!isObject(d)) return;
    const here = (...p: (string | number)[]) => ['devices', i, ...p];
    if (typeof d.id === 'string') {
      const prev = ids.get(d.id);
      if (prev !== undefined)
        problems.push(at(here('id'), `duplicate device id "${d.id}" (also devices[${prev}])`));
      else ids.set(d.id, i);
      if (RESERVED_DEVICE_IDS.has(d.id))
        problems.push(at(here('id'), `"${d.id}" is reserved by the topic grammar`));
      else if (!isValidId(d.id)) problems.push(at(here('id'), 'must match [a-z0-9][a-z0-9_-]{0,63}'));
    }
    const profile = typeof d.profile === 'string' ? registry.get(d.profile) : undefined;
    if (typeof d.profile === 'string' && !profile) {
      const known = registry.list().map((p) => p.id);
      problems.push(
        at(here('profile'), `unknown profile "${d.profile}" (known: ${known.join(', ') || 'none'})`),
      );
    }
    let endpoint: Endpoint | undefined;
    if (typeof d.endpoint === 'string') {
      try {
        endpoint = parseEndpoint(d.endpoint, profile?.serial?.baudRate ?? 9600);
      } catch (err) {
        problems.push(at(here('endpoint'), (err as Error).message));
      }
    }
    if (endpoint && profile && SCHEME_PROTOCOL[endpoint.scheme] !== profile.protocol) {
      problems.push(
        at(
          here('endpoint'),
          `scheme ${endpoint.scheme} cannot serve profile "${profile.id}" (protocol ${profile.protocol})`,
        ),
      );
    }
    if (d.opcua && endpoint && endpoint.scheme !== 'opc.tcp') {
      problems.push(at(here('opcua'), 'opcua options need an opc.tcp:// endpoint'));
    }
    if (endpoint && (endpoint.scheme === 'serial' || endpoint.scheme === 'serial-tcp')) {
      // a talking serial device owns its line
      const key = lineKey(endpoint);
      const other = lines.get(key);
      if (other) problems.push(at(here('endpoint'), `this line is already used by devices[${other.index}]`));
      else lines.set(key, { settings: 'exclusive', index: i, units: new Map() });
    }
    if (endpoint && (endpoint.scheme === 'modbus-rtu' || endpoint.scheme === 'modbus-rtutcp')) {
      const key = lineKey(endpoint);
      const settings =
        endpoint.scheme === 'modbus-rtu'
          ? `${endpoint.baudRate}/${endpoint.parity}/${endpoint.dataBits}/${endpoint.stopBits}`
          : '';
      const line = lines.get(key) ?? { settings, index: i, units: new Map<number, number>() };
      lines.set(key, line);
      if (line.settings === 'exclusive') {
        problems.push(at(here('endpoint'), `this line is already used by devices[${line.index}]`));
      } else if (line.settings !== settings) {
        problems.push(
          at(
            here('endpoint'),
            `line settings differ from devices[${line.index}] on the same line (${line.settings})`,
          ),
        );
      }
      const unit = d.unitId ?? DEFAULTS.unitId;
      const other = line.units.get(unit);
      if (other !== undefined) {
        problems.push(
          at(here('unitId'), `unit id ${unit} is already used on this line by devices[${other}]`),
        );
      } else line.units.set(unit, i);
    }
    if (profile) {
      const names = new Set(profile.points.map((p) => p.name));
      (Array.isArray(d.points) ? d.points : []).forEach((name, j) => {
        if (typeof name === 'string' && !names.has(name)) {
          problems.push(at(here('points', j), `profile "${profile.id}" has no point "${name}"`));
        }
      });
      for (const name of Object.keys(isObject(d.pointOverrides) ? d.pointOverrides : {})) {
        if (!names.has(name)) {
          problems.push(at(here('pointOverrides', name), `profile "${profile.id}" has no point "${name}"`));
        }
      }
    }
    if (profile && endpoint && d.enabled !== false) usable.push({ d, profile, endpoint });
  });
  if (problems.length > 0) return { file, config, devices: [], problems };
  const devices = usable.map(({ d, profile, endpoint }) => toSpec(config, d, profile, endpoint, baseDir));
  return { file, config, devices, problems };
}

function toSpec(
  config: AgentConfig,
  d: DeviceConfig,
  profile: Profile,
  endpoint: Endpoint,
  baseDir: string,
): DeviceSpec {
  const defaults = config.defaults ?? {};
  const wanted = d.points ? new Set(d.points) : undefined;
  const points: Point[] = profile.points
    .filter((p) => !wanted || wanted.has(p.name))
    .map((p) => applyOverride(p, d.pointOverrides?.[p.name]));
  const effective: Profile = {
    ...profile,
    ...(profile.protocol === 'modbus' || d.modbus ? { modbus: { ...profile.modbus, ...d.modbus } } : {}),
    points,
  };
  return {
    id: d.id,
    profile: effective,
    points,
    endpoint,
    unitId: d.unitId ?? DEFAULTS.unitId,
    pollIntervalMs: d.pollIntervalMs ?? defaults.pollIntervalMs ?? DEFAULTS.pollIntervalMs,
    timeoutMs: d.timeoutMs ?? defaults.timeoutMs ?? DEFAULTS.timeoutMs,
    retries: d.retries ?? defaults.retries ?? DEFAULTS.retries,
    backoff: { ...DEFAULTS.backoff, ...defaults.backoff, ...d.backoff },
    options: {
      ...(d.opcua ? { opcua: resolveOpcuaPaths(d.opcua, baseDir) } : {}),
      reportByException: d.reportByException ?? defaults.reportByException,
      stateDir: resolve(baseDir, config.stateDir ?? 'state'),
    },
  };
}

/** File paths in an OPC UA section are relative to the config file, as stateDir is. */
function resolveOpcuaPaths<T extends { pkiDir?: string; identity?: object }>(o: T, baseDir: string): T {
  const out: T = { ...o };
  if (o.pkiDir !== undefined) out.pkiDir = resolve(baseDir, o.pkiDir);
  const id = o.identity as { type?: string; certificateFile?: string; privateKeyFile?: string } | undefined;
  if (id?.type === 'certificate' && id.certificateFile !== undefined && id.privateKeyFile !== undefined) {
    out.identity = {
      ...id,
      certificateFile: resolve(baseDir, id.certificateFile),
      privateKeyFile: resolve(baseDir, id.privateKeyFile),
    };
  }
  return out;
}

function applyOverride(p: Point, o: PointOverride | undefined): Point {
  if (!o) return p;
  const { order, ...rest } = o;
  const q = { ...p, ...rest } as Point;
  if (order && isModbusPoint(q)) return { ...q, modbus: { ...q.modbus, order } };
  return q;
}

function combined(a: ProfileLookup, b?: ProfileLookup): ProfileLookup {
  if (!b) return a;
  return {
    get: (id) => b.get(id) ?? a.get(id),
    list: () => {
      const seen = new Map<string, Profile>();
      for (const p of [...a.list(), ...b.list()]) seen.set(p.id, p);
      return [...seen.values()];
    },
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

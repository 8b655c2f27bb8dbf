/**
 * Loads and checks a gateway config: YAML with line numbers, the TypeBox schema, secret
 * references, and the checks a schema cannot make (profile ids exist, point names exist in
 * the profile, endpoints parse and fit the profile's protocol, protocol settings fit the
 * endpoint, ids unique, one line with one set of line settings). Every problem is reported at
 * once. What is protocol-specific comes from the protocol table (drivers/protocols.ts).
 *
 * Warnings (allowed but risky: a password written into the file, an OPC UA server trusted
 * without a check) name the path, never a value.
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
import type { DeviceSpecBase, ReportByExceptionSpec } from '../drivers/driver.js';
import type { LineClaim, ProtocolModule } from '../drivers/protocol.js';
import { type DeviceSpec, type Endpoint, parseEndpoint, protocolOfScheme } from '../drivers/protocols.js';
import {
  AgentConfig,
  DEFAULTS,
  type DeviceConfig,
  type PointOverride,
  PROTOCOL_DEVICE_FIELDS,
} from './config-schema.js';
import { mqttIdentityWarnings } from './mqtt-identity.js';
import { inlineSecrets, resolveSecrets } from './secrets.js';

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** profiles to resolve against; default builtin + the config's profileDirs */
  registry?: ProfileLookup;
  /**
   * `keep`: leave `${ENV:…}`/`${FILE:…}` references unresolved (for tools that need the
   * config's layout but none of its secrets, e.g. `ganzhi-agent pki`); default `resolve`
   */
  secrets?: 'resolve' | 'keep';
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
  /** allowed but risky: each names its path, never a value */
  warnings: Problem[];
}

type Locate = (path: readonly (string | number)[]) => { line: number; column: number } | undefined;
type Path = (string | number)[];

interface Usable {
  d: DeviceConfig;
  profile: Profile;
  endpoint: Endpoint;
  module: ProtocolModule;
}

export function loadConfigFile(file: string, opts: LoadOptions = {}): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'unreadable';
    return {
      file,
      devices: [],
      problems: [{ file, path: '', message: `cannot read config (${code})` }],
      warnings: [],
    };
  }
  return parseConfig(text, file, opts);
}

export function parseConfig(text: string, file: string, opts: LoadOptions = {}): LoadedConfig {
  const doc = parseYamlDocument(text, file);
  if (doc.problems.length > 0 || doc.value === undefined) {
    return { file, devices: [], problems: doc.problems, warnings: [] };
  }
  const locate: Locate = doc.locate;
  const at = (path: Path, message: string): Problem => {
    const loc = locate(path);
    return { file, ...(loc ? { line: loc.line, column: loc.column } : {}), path: formatPath(path), message };
  };
  const warnings = inlineSecrets(doc.value).map((path) =>
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the message shows the reference syntax
    at(path, 'a secret written into the config file: use ${ENV:NAME} or ${FILE:/path} instead'),
  );
  const problems = validateAgainst(AgentConfig, doc.value, file, locate);
  const baseDir = dirname(resolve(file));
  let config = doc.value as AgentConfig;
  if (opts.secrets !== 'keep') {
    const secrets = resolveSecrets(doc.value, { env: opts.env ?? process.env, baseDir });
    problems.push(...secrets.problems.map((p) => at(p.path, p.message)));
    config = secrets.value as AgentConfig;
  }
  if (problems.length > 0 && !isObject(doc.value)) return { file, devices: [], problems, warnings };
  const registry = opts.registry ?? profileRegistry(config, baseDir, problems);

  const usable: Usable[] = [];
  const ids = new Map<string, number>();
  const lines = new Map<string, LineClaim & { index: number; units: Map<number | string, number> }>();
  const list: unknown[] = Array.isArray(config.devices) ? config.devices : [];
  list.forEach((entry, i) => {
    if (!isObject(entry)) return;
    const d = entry as DeviceConfig;
    const here = (...p: Path): Path => ['devices', i, ...p];
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
        endpoint = parseEndpoint(d.endpoint, profileBaud(profile));
      } catch (err) {
        problems.push(at(here('endpoint'), (err as Error).message));
      }
    }
    const module = endpoint ? protocolOfScheme(endpoint.scheme) : undefined;
    if (endpoint && module && profile && module.protocol !== profile.protocol) {
      problems.push(
        at(
          here('endpoint'),
          `scheme ${endpoint.scheme} cannot serve profile "${profile.id}" (protocol ${profile.protocol})`,
        ),
      );
    }
    if (endpoint && module) {
      for (const key of Object.keys(d)) {
        const owner = PROTOCOL_DEVICE_FIELDS.get(key);
        if (owner === undefined || owner === module.protocol) continue;
        problems.push(
          at(here(key), `for ${owner} devices, but the endpoint ${endpoint.scheme}:// is ${module.protocol}`),
        );
      }
      for (const w of module.warnings?.(d) ?? []) warnings.push(at(here(...w.path), w.message));
      for (const w of module.problems?.(d) ?? []) problems.push(at(here(...w.path), w.message));
      const claim = module.lineClaim?.(endpoint, d);
      if (claim) checkLine(claim, i, lines, (p, m) => problems.push(at(here(...p), m)));
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
    if (profile && endpoint && module && d.enabled !== false) usable.push({ d, profile, endpoint, module });
  });
  if (opts.secrets !== 'keep') warnings.push(...mqttIdentityWarnings(config, at));
  if (problems.length > 0) return { file, config, devices: [], problems, warnings };
  const stateDir = resolve(baseDir, config.stateDir ?? 'state');
  const devices = usable.map(({ d, profile, endpoint, module }) =>
    module.resolve(commonSpec(config, d, profile), endpoint, d, { baseDir, stateDir }),
  ) as DeviceSpec[];
  return { file, config, devices, problems, warnings };
}

/** The line speed a profile names (serial devices, DL/T 645 and CJ/T 188 meters), for endpoints without `baud`. */
function profileBaud(p: Profile | undefined): number {
  return p?.serial?.baudRate ?? p?.dlt645?.baudRate ?? p?.cjt188?.baudRate ?? 9600;
}

/** Devices on one line: an exclusive claim conflicts with any other; shared ones must agree. */
function checkLine(
  claim: LineClaim,
  index: number,
  lines: Map<string, LineClaim & { index: number; units: Map<number | string, number> }>,
  problem: (path: Path, message: string) => void,
): void {
  const other = lines.get(claim.key);
  if (!other) {
    const units = new Map<number | string, number>();
    if (claim.unit) units.set(claim.unit.value, index);
    lines.set(claim.key, { ...claim, index, units });
    return;
  }
  if (claim.mode === 'exclusive' || other.mode === 'exclusive') {
    problem(['endpoint'], `this line is already used by devices[${other.index}]`);
    return;
  }
  if ((other.settings ?? '') !== (claim.settings ?? '')) {
    problem(
      ['endpoint'],
      `line settings differ from devices[${other.index}] on the same line (${other.settings})`,
    );
  }
  if (claim.unit) {
    const prev = other.units.get(claim.unit.value);
    if (prev !== undefined) {
      problem(
        claim.unit.path ?? [claim.unit.key],
        `${claim.unit.label ?? 'unit id'} ${claim.unit.value} is already used on this line by devices[${prev}]`,
      );
    } else other.units.set(claim.unit.value, index);
  }
}

/** The part of a device's spec every protocol has: defaults applied, points chosen and overridden. */
function commonSpec(
  config: AgentConfig,
  d: DeviceConfig,
  profile: Profile,
): Omit<DeviceSpecBase, 'protocol' | 'endpoint'> {
  const defaults = config.defaults ?? {};
  const wanted = d.points ? new Set(d.points) : undefined;
  const points: Point[] = profile.points
    .filter((p) => !wanted || wanted.has(p.name))
    .map((p) => applyOverride(p, d.pointOverrides?.[p.name]));
  const rbe = d.reportByException ?? defaults.reportByException;
  const reportByException: ReportByExceptionSpec | undefined = rbe
    ? { enabled: rbe.enabled, maxSilenceMs: rbe.maxSilenceMs ?? DEFAULTS.maxSilenceMs }
    : undefined;
  return {
    id: d.id,
    profile: { ...profile, points },
    points,
    pollIntervalMs: d.pollIntervalMs ?? defaults.pollIntervalMs ?? DEFAULTS.pollIntervalMs,
    timeoutMs: d.timeoutMs ?? defaults.timeoutMs ?? DEFAULTS.timeoutMs,
    retries: d.retries ?? defaults.retries ?? DEFAULTS.retries,
    backoff: { ...DEFAULTS.backoff, ...defaults.backoff, ...d.backoff },
    ...(reportByException ? { reportByException } : {}),
  };
}

function profileRegistry(config: AgentConfig, baseDir: string, problems: Problem[]): ProfileLookup {
  const dirs = (Array.isArray(config.profileDirs) ? config.profileDirs : [])
    .filter((d): d is string => typeof d === 'string')
    .map((d) => resolve(baseDir, d));
  // A builtin profile that fails to load is the package's defect, not the config's: the
  // devices using it are reported as having an unknown profile.
  const builtin = ProfileRegistry.load([builtinProfilesDir]).registry;
  const extra = dirs.length > 0 ? ProfileRegistry.load(dirs) : undefined;
  if (extra) problems.push(...extra.problems);
  return combined(builtin, extra?.registry);
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

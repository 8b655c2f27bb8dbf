/**
 * Reading a scenario file: YAML with locations, schema validation, then the checks the
 * schema cannot make (profiles exist, signals and faults name real points, endpoints fit
 * the profile's protocol, unit ids are unique per endpoint). Every problem at once, each
 * with its path and line.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import {
  builtinProfilesDir,
  compileModel,
  type DeviceModel,
  formatPath,
  formatProblem,
  type Locate,
  type PathSegment,
  type Problem,
  type Profile,
  ProfileRegistry,
  parseYamlDocument,
  validateAgainst,
} from '@ganzhi/device-profiles';
import { mergeRelations } from '../device/sim-device.js';
import { simError } from '../errors.js';
import type { FaultSpec } from '../faults/spec.js';
import type { SignalSpec } from '../signals/spec.js';
import { type DeviceSpec, type Endpoint, Scenario } from './schema.js';

export interface DeviceInstance {
  id: string;
  profile: Profile;
  district?: string;
  gateway?: string;
  endpoint: Endpoint;
  /** devices with the same key share one listener / bus */
  endpointKey: string;
  unit: number;
  seed: number;
  signals: Record<string, SignalSpec>;
  faults: FaultSpec[];
  strictAddresses: boolean;
  intervalMs?: number;
  /** DL/T 645 / CJ/T 188 meter address */
  address?: string;
  /** HJ 212 logger identity */
  mn?: string;
  pw?: string;
  /** the scenario's changes to the profile's relations */
  relations?: DeviceModel;
}

export interface LoadedScenario {
  file: string;
  baseDir: string;
  scenario: Scenario;
  registry: ProfileRegistry;
  devices: DeviceInstance[];
}

const PROTOCOL_OF: Record<Endpoint['protocol'], Profile['protocol']> = {
  'modbus-tcp': 'modbus',
  'modbus-rtu-tcp': 'modbus',
  'modbus-rtu': 'modbus',
  opcua: 'opcua',
  'serial-tcp': 'serial',
  serial: 'serial',
  'dlt645-tcp': 'dlt645',
  dlt645: 'dlt645',
  'cjt188-tcp': 'cjt188',
  cjt188: 'cjt188',
  hj212: 'hj212',
};

/** The n-th copy of an identifier whose trailing digits count up (addresses, MNs): 000000000161 → …162. */
export function nthId(first: string, n: number): string {
  if (n === 0) return first;
  const m = /^(.*?)(\d+)$/.exec(first);
  if (!m) return `${first}${n}`;
  const digits = m[2]!;
  return `${m[1]}${String(BigInt(digits) + BigInt(n)).padStart(digits.length, '0')}`;
}

export function parseScenario(
  text: string,
  file: string,
  opts: { registry?: ProfileRegistry; baseDir?: string } = {},
): { loaded?: LoadedScenario; problems: Problem[] } {
  const doc = parseYamlDocument(text, file);
  if (doc.value === undefined) return { problems: doc.problems };
  const problems = [...doc.problems, ...validateAgainst(Scenario, doc.value, file, doc.locate)];
  if (problems.length > 0) return { problems };
  const scenario = doc.value as Scenario;
  const baseDir = opts.baseDir ?? dirname(resolve(file));
  let registry = opts.registry;
  if (!registry) {
    const dirs = (scenario.profileDirs ?? []).map((d) => resolve(baseDir, d));
    const r = ProfileRegistry.load([builtinProfilesDir, ...dirs]);
    problems.push(...r.problems);
    registry = r.registry;
  }
  const devices = expand(scenario, registry, file, doc.locate, problems);
  if (problems.length > 0) return { problems };
  return { loaded: { file, baseDir, scenario, registry, devices }, problems };
}

/** Loads and checks a scenario file; throws GZ_SIM_SCENARIO listing every problem. */
export function loadScenarioFile(file: string, opts: { registry?: ProfileRegistry } = {}): LoadedScenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw simError('GZ_SIM_SCENARIO', `cannot read scenario ${file}`, cause);
  }
  const { loaded, problems } = parseScenario(text, file, opts);
  if (!loaded) {
    throw Object.assign(simError('GZ_SIM_SCENARIO', problems.map(formatProblem).join('\n')), { problems });
  }
  return loaded;
}

function expand(
  scenario: Scenario,
  registry: ProfileRegistry,
  file: string,
  locate: Locate,
  problems: Problem[],
): DeviceInstance[] {
  const at = (path: PathSegment[], message: string) => {
    let pos = locate(path);
    for (let n = path.length - 1; !pos && n > 0; n--) pos = locate(path.slice(0, n));
    problems.push({
      file,
      ...(pos ? { line: pos.line, column: pos.column } : {}),
      path: formatPath(path),
      message,
    });
  };
  const out: DeviceInstance[] = [];
  const ids = new Set<string>();
  const units = new Map<string, Set<number>>();
  const addresses = new Map<string, Set<string>>();
  const seedAll = scenario.seed ?? 1;
  scenario.devices.forEach((d: DeviceSpec, i) => {
    const profile = registry.get(d.profile);
    if (!profile) {
      at(
        ['devices', i, 'profile'],
        `unknown profile ${d.profile}; known: ${registry
          .list()
          .map((p) => p.id)
          .join(', ')}`,
      );
      return;
    }
    const want = PROTOCOL_OF[d.endpoint.protocol];
    if (profile.protocol !== want) {
      at(
        ['devices', i, 'endpoint', 'protocol'],
        `${d.endpoint.protocol} cannot serve ${profile.id}, a ${profile.protocol} profile`,
      );
      return;
    }
    const proto = d.endpoint.protocol;
    if (proto.startsWith('dlt645') || proto.startsWith('cjt188')) {
      const len = proto.startsWith('dlt645') ? 12 : 14;
      if (d.address === undefined) {
        at(['devices', i], `a ${proto} meter needs address (${len} digits)`);
        return;
      }
      if (d.address.length !== len) at(['devices', i, 'address'], `${proto} addresses have ${len} digits`);
    } else if (d.address !== undefined) at(['devices', i, 'address'], `address is for dlt645/cjt188 meters`);
    if (proto === 'hj212') {
      if (d.mn === undefined || d.pw === undefined) {
        at(['devices', i], 'an hj212 logger needs mn and pw');
        return;
      }
    } else if (d.mn !== undefined || d.pw !== undefined)
      at(['devices', i, d.mn ? 'mn' : 'pw'], 'mn and pw are for hj212 loggers');
    const names = new Set(profile.points.map((p) => p.name));
    for (const name of Object.keys(d.signals ?? {})) {
      if (!names.has(name)) at(['devices', i, 'signals', name], `${profile.id} has no point "${name}"`);
    }
    (d.faults ?? []).forEach((f, k) => {
      (f.points ?? []).forEach((p, j) => {
        if (!names.has(p)) at(['devices', i, 'faults', k, 'points', j], `${profile.id} has no point "${p}"`);
      });
    });
    if (d.relations) {
      const merged = mergeRelations(profile.relations, d.relations);
      for (const f of compileModel(merged, [...names]).findings) {
        // a finding in the profile's own part is named there; the scenario's part by its path
        const [, section, key] = f.path;
        const own =
          section === 'params'
            ? key !== undefined && key in (d.relations.params ?? {})
            : section === 'derived'
              ? key !== undefined && key in (d.relations.derived ?? {})
              : section === 'checks'
                ? typeof key === 'number' && key >= (profile.relations?.checks?.length ?? 0)
                : true;
        const rest =
          section === 'checks' && typeof key === 'number'
            ? [section, key - (profile.relations?.checks?.length ?? 0)]
            : f.path.slice(1);
        at(
          own ? ['devices', i, 'relations', ...rest] : ['devices', i, 'profile'],
          own ? f.message : `profile ${profile.id}: ${f.path.join('.')}: ${f.message}`,
        );
      }
    }
    const count = d.repeat?.count ?? 1;
    const per = d.repeat?.perEndpoint ?? count;
    const width = Math.max(3, String(count).length);
    for (let n = 0; n < count; n++) {
      const id = d.repeat ? `${d.id}-${String(n + 1).padStart(width, '0')}` : d.id;
      const group = Math.floor(n / per);
      const unit = (d.unit ?? 1) + (n % per);
      const endpoint = shifted(d.endpoint, group);
      const key = endpointKey(endpoint, group);
      if (ids.has(id)) at(['devices', i, 'id'], `duplicate device id ${id}`);
      ids.add(id);
      if (unit > 247 && d.endpoint.protocol.startsWith('modbus')) {
        at(['devices', i, 'repeat', 'perEndpoint'], `unit id ${unit} past 247: lower perEndpoint`);
        return;
      }
      if (d.endpoint.protocol.startsWith('modbus')) {
        const used = units.get(key) ?? new Set<number>();
        if (used.has(unit)) at(['devices', i, 'unit'], `unit id ${unit} already used on ${key}`);
        used.add(unit);
        units.set(key, used);
      } else if (proto.startsWith('dlt645') || proto.startsWith('cjt188') || proto === 'hj212') {
        // meters by address on a bus; loggers by MN per platform
        const id = proto === 'hj212' ? nthId(d.mn!, n) : nthId(d.address!, n);
        const used = addresses.get(key) ?? new Set<string>();
        if (used.has(id))
          at(['devices', i, proto === 'hj212' ? 'mn' : 'address'], `${id} already used on ${key}`);
        used.add(id);
        addresses.set(key, used);
      } else if (d.endpoint.protocol.startsWith('serial')) {
        if (units.has(key))
          at(['devices', i, 'endpoint'], `${key} already has a serial device; one per port`);
        units.set(key, new Set([0]));
      }
      out.push({
        id,
        profile,
        ...(d.district ? { district: d.district } : {}),
        ...(d.gateway ? { gateway: d.gateway } : {}),
        endpoint,
        endpointKey: key,
        unit,
        seed: d.repeat ? (d.seed ?? seedAll) * 1_000_003 + n : (d.seed ?? seedAll),
        signals: d.signals ?? {},
        faults: d.faults ?? [],
        strictAddresses: d.strictAddresses ?? false,
        ...(d.intervalMs ? { intervalMs: d.intervalMs } : {}),
        ...(d.address ? { address: nthId(d.address, n) } : {}),
        ...(d.mn ? { mn: nthId(d.mn, n) } : {}),
        ...(d.pw !== undefined ? { pw: d.pw } : {}),
        ...(d.relations ? { relations: d.relations } : {}),
      });
    }
  });
  return out;
}

function shifted(e: Endpoint, group: number): Endpoint {
  if (e.protocol === 'hj212') return e; // the platform's port: every logger connects to the same one
  if ('port' in e && e.port !== 0 && group > 0) return { ...e, port: e.port + group };
  return e;
}

export function endpointKey(e: Endpoint, group = 0): string {
  if ('device' in e) return `${e.protocol}:${e.device}`;
  const base = `${e.protocol}:${e.host ?? '127.0.0.1'}:${e.port}`;
  return e.port === 0 ? `${base}#${group}` : base;
}

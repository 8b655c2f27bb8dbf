/** Argument parsing for `ganzhi-agent probe …`; each protocol's probe is loaded only when asked for. */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { builtinProfilesDir, ModbusTable, type Profile, ProfileRegistry } from '@ganzhi/device-profiles';
import pino from 'pino';
import { NATIONAL_USAGE } from './national-probe-cli.js';

const USAGE = `usage:
  ganzhi-agent probe modbus tcp://HOST:PORT|rtu:///dev/ttyUSB0?baud=9600&parity=N|rtutcp://HOST:PORT
        [--unit 1] [--table holding|input|coil|discrete] [--range 0:20] [--timeout 1000]
        [--profile ID [--profile-dir DIR]]
  ganzhi-agent probe opcua opc.tcp://HOST:PORT [--browse NODE] [--security None|Sign|SignAndEncrypt]
        [--user NAME --password-env VAR] [--verbose (node-opcua's own messages too)]
  ganzhi-agent probe serial /dev/ttyS0|serial-tcp://HOST:PORT [--baud 9600] [--seconds 10] [--frames 50]
        [--profile ID [--profile-dir DIR]]
${NATIONAL_USAGE}
  ganzhi-agent probe modbus|opcua URL --profile ID --write POINT=VALUE [--write …] [--confirm]
        [--readback] [--unit 1] [--namespace-uri URI (OPC UA: the server's URI for the profile's)]
--range FROM:TO reads addresses FROM to TO-1 (0:20 = twenty registers from 0).
--write changes the device (commissioning): only read-write points of the profile, inside their
range; it prints what it would write (Modbus function and registers, OPC UA node and type) and
writes only with --confirm.`;

function profileOf(id: string | undefined, dir: string | undefined): Profile | undefined {
  if (!id) return undefined;
  const reg = dir ? ProfileRegistry.load([dir]).registry : undefined;
  const builtin = ProfileRegistry.load([builtinProfilesDir]).registry;
  const p = reg?.get(id) ?? builtin.get(id);
  if (!p) {
    // as validate says it: the ids it knows, so a typo (eastron-sdm360) is seen at once
    const known = [...new Set([...(reg?.ids() ?? []), ...builtin.ids()])].sort();
    throw new Error(
      `unknown profile "${id}" (known: ${known.join(', ') || 'none'}${dir ? '' : '; your own with --profile-dir DIR'})`,
    );
  }
  return p;
}

/** The OPC UA library's console output is dropped (the probe's own output goes to stdout directly). */
function muteLibraryConsole(): void {
  const drop = () => undefined;
  console.log = drop;
  console.info = drop;
  console.debug = drop;
  console.warn = drop;
}

export async function probe(args: string[]): Promise<number> {
  const [kind, target, ...rest] = args;
  const out = (l: string) => process.stdout.write(`${l}\n`);
  if (!kind || !target || kind === '--help') {
    process.stderr.write(`${USAGE}\n`);
    return kind === '--help' ? 0 : 2;
  }
  if (kind === 'dlt645' || kind === 'cjt188' || kind === 'hj212') {
    const { probeNational } = await import('./national-probe-cli.js');
    return probeNational(kind, target, rest, profileOf, out);
  }
  const { values: v } = parseArgs({
    args: rest,
    options: {
      unit: { type: 'string', default: '1' },
      table: { type: 'string', default: 'holding' },
      range: { type: 'string', default: '0:10' },
      timeout: { type: 'string', default: '1000' },
      profile: { type: 'string' },
      'profile-dir': { type: 'string' },
      browse: { type: 'string', default: 'i=85' },
      security: { type: 'string', default: 'None' },
      user: { type: 'string' },
      'password-env': { type: 'string' },
      baud: { type: 'string', default: '9600' },
      seconds: { type: 'string', default: '10' },
      frames: { type: 'string', default: '50' },
      verbose: { type: 'boolean', default: false },
      write: { type: 'string', multiple: true },
      confirm: { type: 'boolean', default: false },
      readback: { type: 'boolean', default: false },
      'namespace-uri': { type: 'string' },
    },
    strict: true,
  });
  const logger = pino({ level: 'silent' });
  if (v.write?.length) {
    if (kind !== 'modbus' && kind !== 'opcua')
      throw new Error(`--write: only for modbus and opcua, not ${kind}`);
    const profile = profileOf(v.profile, v['profile-dir']);
    if (!profile) throw new Error('--write needs --profile ID (the point says where and how to write)');
    if (kind === 'opcua' && !v.verbose) muteLibraryConsole();
    const unit = Number(v.unit);
    if (!Number.isInteger(unit) || unit < 0 || unit > 255) {
      throw new Error(`--unit: a Modbus unit id 0..255 (RS-485 devices use 1..247), not "${v.unit}"`);
    }
    const { probeWrite } = await import('./write-probe.js');
    const password = v['password-env'] ? process.env[v['password-env']] : undefined;
    return probeWrite({
      kind,
      url: target,
      profile,
      assignments: v.write,
      confirm: v.confirm === true,
      readback: v.readback === true,
      timeoutMs: Number(v.timeout),
      logger,
      out,
      unit,
      opcua: {
        pkiDir: join(tmpdir(), 'ganzhi-agent-probe-pki'),
        securityMode: v.security as 'None' | 'Sign' | 'SignAndEncrypt',
        ...(v.user ? { username: v.user } : {}),
        ...(password !== undefined ? { password } : {}),
        ...(v['namespace-uri'] ? { namespaceUri: v['namespace-uri'] } : {}),
      },
    });
  }
  switch (kind) {
    case 'modbus': {
      const m = /^(\d+):(\d+)$/.exec(v.range ?? '');
      if (!m || Number(m[2]) <= Number(m[1])) throw new Error('--range FROM:TO with TO > FROM');
      const unit = Number(v.unit);
      if (!Number.isInteger(unit) || unit < 0 || unit > 255) {
        throw new Error(`--unit: a Modbus unit id 0..255 (RS-485 devices use 1..247), not "${v.unit}"`);
      }
      const tables = ModbusTable.anyOf.map((t) => t.const as string);
      if (!tables.includes(v.table!)) throw new Error(`--table: one of ${tables.join(', ')}`);
      const { probeModbus } = await import('./modbus-probe.js');
      const profile = profileOf(v.profile, v['profile-dir']);
      return probeModbus({
        url: target,
        unit,
        table: v.table as ModbusTable,
        from: Number(m[1]),
        count: Math.min(125, Number(m[2]) - Number(m[1])),
        timeoutMs: Number(v.timeout),
        ...(profile ? { profile } : {}),
        logger,
        out,
      });
    }
    case 'opcua': {
      // node-opcua prints its own chatter ("Creating default certificate … please wait", the
      // [NODE-OPCUA-W27] note on RSA PKCS#1 v1.5 in Node ≥ 20) with console.*: not for the
      // engineer at the probe — shown with --verbose
      if (!v.verbose) muteLibraryConsole();
      const { probeOpcua } = await import('./opcua-probe.js');
      const password = v['password-env'] ? process.env[v['password-env']] : undefined;
      return probeOpcua({
        url: target,
        browse: v.browse!,
        securityMode: v.security as 'None' | 'Sign' | 'SignAndEncrypt',
        ...(v.user ? { username: v.user } : {}),
        ...(password !== undefined ? { password } : {}),
        pkiDir: join(tmpdir(), 'ganzhi-agent-probe-pki'),
        out,
      });
    }
    case 'serial': {
      const { probeSerial } = await import('./serial-probe.js');
      const profile = profileOf(v.profile, v['profile-dir']);
      return probeSerial({
        target,
        baud: Number(v.baud),
        seconds: Number(v.seconds),
        maxFrames: Number(v.frames),
        ...(profile ? { profile } : {}),
        out,
      });
    }
    default:
      process.stderr.write(`unknown probe "${kind}"\n${USAGE}\n`);
      return 2;
  }
}

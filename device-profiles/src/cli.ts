#!/usr/bin/env node
/**
 * ganzhi-profiles: list, show and validate device profiles.
 *
 *   ganzhi-profiles list [--dir DIR]...        the builtin library (plus DIRs)
 *   ganzhi-profiles show ID|FILE [--dir DIR]   one profile with its points table
 *   ganzhi-profiles validate FILE|DIR...       every problem as file:line:col path: message
 *   ganzhi-profiles schema                     print the profile JSON Schema
 *
 * Exit codes: 0 ok, 1 invalid profiles (or unknown id), 2 usage error.
 */
import { realpathSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formatProblem, type Problem } from './config/problem.js';
import { loadProfileFile } from './loader/load-profile.js';
import { profileJsonSchemaText } from './profile-json-schema.js';
import type { Point, Profile } from './profile-schema.js';
import { builtinProfilesDir } from './profiles/builtin-dir.js';
import { listProfileFiles, ProfileRegistry } from './profiles/registry.js';

const HELP = `ganzhi-profiles — Ganzhi device profiles

Usage:
  ganzhi-profiles list [--dir DIR]...         list profiles: id, version, protocol, model, points
  ganzhi-profiles show ID|FILE [--dir DIR]... show one profile and its points with addresses and units
  ganzhi-profiles validate FILE|DIR...        check profile files; prints every problem as
                                              file:line:column path: message
  ganzhi-profiles schema                      print the profile JSON Schema
  ganzhi-profiles --help                      this text

--dir DIR adds a directory of profile files (<id>.yaml) after the builtin library
(${builtinProfilesDir}); a profile there replaces a builtin one with the same id.

Exit codes: 0 ok, 1 problems found or unknown profile, 2 usage error.
`;

type Out = (line: string) => void;

export function main(argv: readonly string[], out: Out, err: Out): number {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    out(HELP);
    return command === undefined ? 2 : 0;
  }
  const dirs: string[] = [];
  const args: string[] = [];
  for (let k = 0; k < rest.length; k++) {
    const a = rest[k] as string;
    if (a === '--dir') {
      const d = rest[++k];
      if (d === undefined) return usage(err, '--dir needs a directory');
      dirs.push(d);
    } else if (a === '--help' || a === '-h') {
      out(HELP);
      return 0;
    } else if (a.startsWith('--')) {
      return usage(err, `unknown option ${a}`);
    } else {
      args.push(a);
    }
  }
  switch (command) {
    case 'list':
      return list(dirs, out, err);
    case 'show':
      if (args.length !== 1) return usage(err, 'show needs one profile id or file');
      return show(args[0] as string, dirs, out, err);
    case 'validate':
      if (args.length === 0) return usage(err, 'validate needs at least one file or directory');
      return validate(args, out);
    case 'schema':
      out(profileJsonSchemaText().trimEnd());
      return 0;
    default:
      return usage(err, `unknown command ${command}`);
  }
}

function usage(err: Out, message: string): number {
  err(`ganzhi-profiles: ${message} (see ganzhi-profiles --help)`);
  return 2;
}

function registry(dirs: string[], err: Out): { reg: ProfileRegistry; problems: Problem[] } {
  const { registry: reg, problems } = ProfileRegistry.load([builtinProfilesDir, ...dirs]);
  for (const p of problems) err(formatProblem(p));
  return { reg, problems };
}

function list(dirs: string[], out: Out, err: Out): number {
  const { reg, problems } = registry(dirs, err);
  const rows = reg
    .list()
    .map((p) => [p.id, p.version, p.protocol, `${p.manufacturer} ${p.model}`, String(p.points.length)]);
  out(table(['ID', 'VERSION', 'PROTOCOL', 'MANUFACTURER MODEL', 'POINTS'], rows));
  return problems.length > 0 ? 1 : 0;
}

function show(idOrFile: string, dirs: string[], out: Out, err: Out): number {
  let profile: Profile | undefined;
  if (isFile(idOrFile)) {
    const r = loadProfileFile(idOrFile);
    for (const p of r.problems) err(formatProblem(p));
    profile = r.profile;
    if (!profile) return 1;
  } else {
    const { reg } = registry(dirs, err);
    profile = reg.get(idOrFile);
    if (!profile) {
      err(`ganzhi-profiles: unknown profile ${idOrFile}; known: ${reg.ids().join(', ')}`);
      return 1;
    }
  }
  out(describeProfile(profile));
  return 0;
}

function validate(targets: string[], out: Out): number {
  const files: string[] = [];
  const problems: Problem[] = [];
  for (const t of targets) {
    let dir = false;
    try {
      dir = statSync(t).isDirectory();
    } catch {
      // loadProfileFile reports the missing file
    }
    if (dir) files.push(...listProfileFiles(t));
    else files.push(t);
  }
  const ids = new Map<string, string>();
  const bad = new Set<string>();
  for (const file of files) {
    const r = loadProfileFile(file);
    const mine = [...r.problems];
    if (r.profile) {
      const other = ids.get(r.profile.id);
      if (other !== undefined)
        mine.push({ file, path: 'id', message: `profile id ${r.profile.id} is also used by ${other}` });
      else ids.set(r.profile.id, file);
    }
    for (const p of mine) out(formatProblem(p));
    if (mine.length > 0) bad.add(file);
    problems.push(...mine);
  }
  if (problems.length > 0) {
    const n = problems.length;
    out(
      `${n} problem${n === 1 ? '' : 's'} in ${bad.size} of ${files.length} file${files.length === 1 ? '' : 's'}`,
    );
    return 1;
  }
  out(`${files.length} profile${files.length === 1 ? '' : 's'} valid`);
  return 0;
}

function isFile(s: string): boolean {
  try {
    return statSync(s).isFile();
  } catch {
    return false;
  }
}

const TABLE_PREFIX: Record<string, string> = { coil: '0', discrete: '1', input: '3', holding: '4' };

/** Where a point is read from, in the words of the device's manual. */
export function describeBinding(p: Point): string {
  if ('modbus' in p) {
    const b = p.modbus;
    const n = b.address + 1;
    const conventional = `${TABLE_PREFIX[b.table]}${String(n).padStart(n > 9999 ? 5 : 4, '0')}`;
    const type =
      b.type === 'string' ? `string[${b.length ?? '?'}]` : b.type === 'bit' ? `bit ${b.bit ?? '?'}` : b.type;
    return `${b.table} ${b.address} (${conventional}) ${type}${b.order ? ` ${b.order}` : ''}`;
  }
  if ('opcua' in p) return `${p.opcua.nodeId}${p.opcua.dataType ? ` (${p.opcua.dataType})` : ''}`;
  if ('dlt645' in p) return `DI ${p.dlt645.dataId}${p.dlt645.format ? ` ${p.dlt645.format}` : ''}`;
  if ('cjt188' in p) return `901F ${p.cjt188.field}`;
  if ('hj212' in p) return `${p.hj212.code}-${p.hj212.field ?? 'Rtd'} (CN ${p.hj212.cn ?? '2011'})`;
  const s = p.serial.select;
  if (s.kind === 'nmea') return `${s.sentence} field ${s.field}${s.decode ? ` (${s.decode})` : ''}`;
  if (s.kind === 'column') return `column ${s.index}`;
  return `regex /${s.pattern}/ group ${s.group}`;
}

export function describeProfile(p: Profile): string {
  const lines = [
    `${p.id} ${p.version} — ${p.manufacturer} ${p.model}`,
    p.description,
    `source:      ${p.source.document}${p.source.section ? `, ${p.source.section}` : ''}`,
  ];
  if (p.source.url) lines.push(`             ${p.source.url}`);
  lines.push(`measurement: ${p.measurement}`, `protocol:    ${p.protocol}`);
  if (p.modbus) lines.push(`modbus:      ${JSON.stringify(p.modbus)}`);
  if (p.opcua) lines.push(`opcua:       ${JSON.stringify(p.opcua)}`);
  if (p.serial) lines.push(`serial:      ${JSON.stringify(p.serial)}`);
  for (const k of ['dlt645', 'cjt188', 'hj212'] as const)
    if (p[k]) lines.push(`${k}:${' '.repeat(12 - k.length)}${JSON.stringify(p[k])}`);
  lines.push('');
  const rows = p.points.map((pt) => [
    pt.name,
    pt.type,
    pt.unit,
    pt.access ?? 'read',
    describeBinding(pt),
    [pt.scale !== undefined ? `×${pt.scale}` : '', pt.offset !== undefined ? `+${pt.offset}` : '']
      .filter(Boolean)
      .join(' '),
  ]);
  lines.push(table(['POINT', 'TYPE', 'UNIT', 'ACCESS', 'ADDRESS', 'SCALE'], rows));
  return lines.join('\n');
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const fmt = (r: string[]) =>
    r
      .map((cell, c) => cell.padEnd(widths[c] ?? 0))
      .join('  ')
      .trimEnd();
  return [fmt(head), ...rows.map(fmt)].join('\n');
}

// run only as the program (also through the npm bin symlink), not when imported by a test
function invokedAsProgram(): boolean {
  const arg = process.argv[1];
  if (!arg) return false;
  try {
    return realpathSync(arg) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

/** Runs the CLI on process stdout/stderr and returns the exit code (used by bin/ganzhi-profiles.js). */
export function runCli(argv: readonly string[]): number {
  return main(
    argv,
    (l) => process.stdout.write(`${l}\n`),
    (l) => process.stderr.write(`${l}\n`),
  );
}

if (invokedAsProgram()) process.exitCode = runCli(process.argv.slice(2));

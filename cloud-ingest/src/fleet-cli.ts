#!/usr/bin/env node
/**
 * ganzhi-fleet — push gateway configurations through the hub and see what each gateway runs.
 *
 *   ganzhi-fleet status --hub URL --user NAME [--district D] [--label L]
 *   ganzhi-fleet show D/G --hub URL --user NAME
 *   ganzhi-fleet push --hub URL --user NAME (--gateway D/G | --district D | --label L)
 *                     (--file F.yaml|F.json | --set path=value …) [--wait 60s]
 *
 * The password comes from GANZHI_HUB_PASSWORD or --password-file (never the command line).
 * `--file` is a whole agent config (one gateway only); `--set` changes a path of each target's
 * current desired config (`defaults.pollIntervalMs=2000`, `devices[0].endpoint=…`): the value
 * is JSON when it parses as JSON (numbers, true/false, null, "quoted", objects), else a string.
 * `push` waits (unless --wait 0) for every target's final status and prints one line per
 * gateway; it exits 0 only if every target applied, 1 otherwise (rejected, rolled back, refused
 * or no final status within --wait), 2 for usage, credentials or HTTP errors.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { hubCommandLine, parseDuration, runCli, UsageError } from './hub-cli.js';

const USAGE = `usage:
  ganzhi-fleet status --hub URL --user NAME [--district D] [--label L]
  ganzhi-fleet show DISTRICT/GATEWAY --hub URL --user NAME
  ganzhi-fleet push --hub URL --user NAME (--gateway D/G | --district D | --label L) (--file F.yaml|F.json | --set path=value …) [--wait 60s]
password: GANZHI_HUB_PASSWORD or --password-file FILE`;

/** `path=value` → the set entry; the value is JSON when it parses, else a string. */
function parseSet(arg: string): [string, unknown] {
  const i = arg.indexOf('=');
  if (i <= 0) throw new UsageError(`--set "${arg}": expected path=value`);
  const raw = arg.slice(i + 1);
  let value: unknown = raw;
  try {
    value = JSON.parse(raw);
  } catch {
    // a plain string
  }
  return [arg.slice(0, i), value];
}

function gatewayArg(text: string, what: string): { district: string; gateway: string } {
  const m = /^([^/\s]+)\/([^/\s]+)$/.exec(text);
  if (!m) throw new UsageError(`${what}: expected DISTRICT/GATEWAY, got "${text}"`);
  return { district: m[1] as string, gateway: m[2] as string };
}

interface Problem {
  path: string;
  message: string;
}
interface Gateway {
  district: string;
  gateway: string;
  online: string;
  labels: string[];
  desired: { version: number; hash: string; issuer: string | null; onBehalfOf: string | null } | null;
  state: {
    status: string;
    desiredVersion: number | null;
    appliedVersion: number;
    reason: string | null;
    problems: Problem[];
    ts: number;
  } | null;
  sync: string;
}

function statusLine(g: Gateway): string {
  const parts = [
    `${g.district}/${g.gateway}`.padEnd(28),
    g.online.padEnd(8),
    g.sync.padEnd(12),
    `desired=${g.desired ? `v${g.desired.version}` : '-'}`,
    `applied=${g.state ? `v${g.state.appliedVersion}` : '-'}`,
  ];
  if (g.labels.length > 0) parts.push(`labels=${g.labels.join(',')}`);
  if (g.state?.reason && g.sync !== 'applied') parts.push(`reason=${JSON.stringify(g.state.reason)}`);
  return parts.join(' ');
}

/** Where a push of `version` stands on this gateway: a final status, or undefined while pending. */
function finalOf(g: Gateway, version: number): 'applied' | 'rejected' | 'rolled-back' | undefined {
  const s = g.state;
  if (!s) return undefined;
  if (s.status === 'applied' && s.appliedVersion >= version) return 'applied';
  if (s.desiredVersion === version && (s.status === 'rejected' || s.status === 'rolled-back'))
    return s.status;
  return undefined;
}

async function main(argv: string[]): Promise<number> {
  const cli = hubCommandLine(argv, USAGE, {
    district: { type: 'string' },
    gateway: { type: 'string' },
    label: { type: 'string' },
    file: { type: 'string' },
    set: { type: 'string', multiple: true },
    wait: { type: 'string', default: '60s' },
  });
  if (typeof cli === 'number') return cli;
  const { values, verb, rest, call, failed } = cli;
  const path = (g: { district: string; gateway: string }) =>
    `/api/fleet/${encodeURIComponent(g.district)}/${encodeURIComponent(g.gateway)}`;

  switch (verb) {
    case 'status': {
      const q = new URLSearchParams();
      if (values.district) q.set('district', values.district);
      if (values.label) q.set('label', values.label);
      const r = await call('GET', `/api/fleet${q.size > 0 ? `?${q}` : ''}`);
      if (r.status !== 200) failed(r);
      for (const g of (r.json as { gateways: Gateway[] }).gateways) console.log(statusLine(g));
      return 0;
    }
    case 'show': {
      if (!rest[0]) throw new UsageError('show: give DISTRICT/GATEWAY');
      const r = await call('GET', path(gatewayArg(rest[0], 'show')));
      if (r.status !== 200) failed(r);
      console.log(JSON.stringify(r.json, null, 2));
      return 0;
    }
    case 'push': {
      const targets = [values.gateway, values.district, values.label].filter((x) => x !== undefined);
      if (targets.length !== 1)
        throw new UsageError('push: give exactly one of --gateway D/G, --district D, --label L');
      const target = values.gateway
        ? gatewayArg(values.gateway, '--gateway')
        : values.district
          ? { district: values.district }
          : { label: values.label as string };
      const sets = values.set ?? [];
      if ((values.file === undefined) === (sets.length === 0))
        throw new UsageError('push: give either --file F (a whole config) or --set path=value …');
      let change: { config: unknown } | { set: Record<string, unknown> };
      if (values.file !== undefined) {
        let text: string;
        try {
          text = readFileSync(values.file, 'utf8');
        } catch (err) {
          throw new UsageError(`--file ${values.file}: ${(err as Error).message}`);
        }
        try {
          change = { config: /\.json$/i.test(values.file) ? JSON.parse(text) : parseYaml(text) };
        } catch (err) {
          throw new UsageError(
            `--file ${values.file}: not valid ${/\.json$/i.test(values.file) ? 'JSON' : 'YAML'}: ${(err as Error).message}`,
          );
        }
      } else change = { set: Object.fromEntries(sets.map(parseSet)) };
      const waitMs = parseDuration(values.wait, '--wait');
      const r = await call('POST', '/api/fleet/push', { target, ...change });
      if (r.status !== 202) failed(r);
      const res = r.json as {
        pushes: { district: string; gateway: string; version: number }[];
        refused: { district: string; gateway: string; reason: string }[];
      };
      for (const x of res.refused)
        console.log(`${`${x.district}/${x.gateway}`.padEnd(28)} refused      ${x.reason}`);
      for (const p of res.pushes)
        console.log(`${`${p.district}/${p.gateway}`.padEnd(28)} pushed       v${p.version}`);
      if (waitMs === 0) return res.refused.length === 0 ? 0 : 1;
      const deadline = Date.now() + waitMs;
      const outcome = new Map<string, { final: string; g: Gateway }>();
      while (outcome.size < res.pushes.length && Date.now() < deadline) {
        for (const p of res.pushes) {
          const key = `${p.district}/${p.gateway}`;
          if (outcome.has(key)) continue;
          const g = await call('GET', path(p));
          if (g.status !== 200) failed(g);
          const final = finalOf(g.json as Gateway, p.version);
          if (final) outcome.set(key, { final, g: g.json as Gateway });
        }
        if (outcome.size < res.pushes.length) await new Promise((ok) => setTimeout(ok, 500));
      }
      let allApplied = res.refused.length === 0;
      for (const p of res.pushes) {
        const key = `${p.district}/${p.gateway}`;
        const o = outcome.get(key);
        if (!o) {
          console.log(`${key.padEnd(28)} pending      v${p.version}: no final status within ${values.wait}`);
          allApplied = false;
          continue;
        }
        const s = o.g.state;
        const reason = o.final !== 'applied' && s?.reason ? ` ${JSON.stringify(s.reason)}` : '';
        console.log(`${key.padEnd(28)} ${o.final.padEnd(12)} v${p.version}${reason}`);
        if (o.final !== 'applied') {
          allApplied = false;
          for (const pr of s?.problems ?? []) console.log(`  ${pr.path}: ${pr.message}`);
        }
      }
      return allApplied ? 0 : 1;
    }
    default:
      throw new UsageError(`unknown command "${verb}"\n${USAGE}`);
  }
}

runCli('ganzhi-fleet', () => main(process.argv.slice(2)));

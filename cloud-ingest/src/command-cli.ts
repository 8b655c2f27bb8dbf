#!/usr/bin/env node
/**
 * ganzhi-command — send a command to a device through the hub and wait for its outcome.
 *
 *   ganzhi-command send --hub URL --user NAME --district D --gateway G --device DEV point=value …
 *                       [--ttl 60s] [--no-readback] [--wait 30s]
 *   ganzhi-command get ID --hub URL --user NAME
 *   ganzhi-command list --hub URL --user NAME [--district D] [--gateway G] [--device DEV]
 *                       [--since ISO|ms] [--limit N]
 *
 * The password comes from GANZHI_HUB_PASSWORD or --password-file (never the command line).
 * Values: true/false are booleans, numbers are numbers, anything else (or "quoted") a string.
 * `send` prints one line per point with its outcome and exits 0 only if every point is ok;
 * 1 when one is not (or no outcome came within --wait), 2 for usage, credentials or HTTP errors.
 */
import { hubCommandLine, parseDuration, runCli, UsageError } from './hub-cli.js';

const USAGE = `usage:
  ganzhi-command send --hub URL --user NAME --district D --gateway G --device DEV point=value … [--ttl 60s] [--no-readback] [--wait 30s]
  ganzhi-command get ID --hub URL --user NAME
  ganzhi-command list --hub URL --user NAME [--district D] [--gateway G] [--device DEV] [--since ISO|ms] [--limit N]
password: GANZHI_HUB_PASSWORD or --password-file FILE`;

/** `point=value` → the write; value typed as documented above. */
function parseWrite(arg: string): { point: string; value: number | boolean | string } {
  const i = arg.indexOf('=');
  if (i <= 0) throw new UsageError(`"${arg}": expected point=value`);
  const point = arg.slice(0, i);
  const raw = arg.slice(i + 1);
  let value: number | boolean | string;
  if (raw === 'true' || raw === 'false') value = raw === 'true';
  else if (/^".*"$/.test(raw)) value = raw.slice(1, -1);
  else if (raw.trim() !== '' && Number.isFinite(Number(raw))) value = Number(raw);
  else value = raw;
  return { point, value };
}

interface Outcome {
  point: string;
  outcome: string;
  requested?: unknown;
  readback?: unknown;
  reason?: string | null;
  code?: string | null;
}

interface View {
  id: string;
  district: string;
  gateway: string;
  device: string;
  onBehalfOf: string | null;
  issuer: string | null;
  state: 'pending' | 'done';
  writes: { point: string; value: unknown }[];
  outcomes: Outcome[];
  seen: number | null;
}

function outcomeLine(o: Outcome): string {
  const parts = [o.point.padEnd(20), o.outcome.padEnd(18)];
  if (o.requested !== undefined && o.requested !== null)
    parts.push(`requested=${JSON.stringify(o.requested)}`);
  if (o.readback !== undefined && o.readback !== null) parts.push(`readback=${JSON.stringify(o.readback)}`);
  if (o.code) parts.push(`code=${o.code}`);
  if (o.reason) parts.push(`reason=${JSON.stringify(o.reason)}`);
  return parts.join(' ').trimEnd();
}

async function main(argv: string[]): Promise<number> {
  const cli = hubCommandLine(argv, USAGE, {
    district: { type: 'string' },
    gateway: { type: 'string' },
    device: { type: 'string' },
    ttl: { type: 'string' },
    'no-readback': { type: 'boolean', default: false },
    wait: { type: 'string', default: '30s' },
    since: { type: 'string' },
    limit: { type: 'string' },
  });
  if (typeof cli === 'number') return cli;
  const { values, verb, rest, call, failed } = cli;

  switch (verb) {
    case 'send': {
      for (const k of ['district', 'gateway', 'device'] as const)
        if (!values[k]) throw new UsageError(`--${k} is required`);
      if (rest.length === 0) throw new UsageError('give at least one point=value');
      const writes = rest.map(parseWrite);
      const waitMs = parseDuration(values.wait, '--wait');
      const body = {
        district: values.district,
        gateway: values.gateway,
        device: values.device,
        writes,
        ...(values.ttl ? { ttlMs: parseDuration(values.ttl, '--ttl') } : {}),
        ...(values['no-readback'] ? { readback: false } : {}),
      };
      const r = await call('POST', '/api/commands', body);
      if (r.status !== 202) failed(r);
      const { id, expires } = r.json as { id: string; expires: number };
      console.log(`command ${id} sent, expires ${new Date(expires).toISOString()}`);
      if (waitMs === 0) return 0;
      const deadline = Date.now() + waitMs;
      let view: View | undefined;
      while (Date.now() < deadline) {
        const g = await call('GET', `/api/commands/${encodeURIComponent(id)}`);
        if (g.status === 200) {
          view = g.json as View;
          if (view.state === 'done') break;
        } else if (g.status !== 404) failed(g);
        await new Promise((res) => setTimeout(res, 250));
      }
      if (view?.state !== 'done') {
        console.log(`no outcome within ${values.wait}: ask again with ganzhi-command get ${id}`);
        return 1;
      }
      const byPoint = new Map(view.outcomes.map((o) => [o.point, o]));
      let allOk = true;
      for (const w of writes) {
        const o = byPoint.get(w.point) ?? view.outcomes.find((x) => x.point === '*');
        if (!o) {
          console.log(`${w.point.padEnd(20)} (no outcome)`);
          allOk = false;
          continue;
        }
        console.log(outcomeLine({ ...o, point: w.point }));
        if (o.outcome !== 'ok') allOk = false;
      }
      return allOk ? 0 : 1;
    }
    case 'get': {
      const id = rest[0];
      if (!id) throw new UsageError('get: give the command id');
      const r = await call('GET', `/api/commands/${encodeURIComponent(id)}`);
      if (r.status !== 200) failed(r);
      const v = r.json as View;
      console.log(
        `${v.id} ${v.district}/${v.gateway}/${v.device} ${v.state} by ${v.onBehalfOf ?? '?'} via ${v.issuer ?? '?'}`,
      );
      for (const o of v.outcomes) console.log(outcomeLine(o));
      return v.state === 'done' && v.outcomes.every((o) => o.outcome === 'ok') ? 0 : 1;
    }
    case 'list': {
      const q = new URLSearchParams();
      for (const k of ['district', 'gateway', 'device', 'limit'] as const) if (values[k]) q.set(k, values[k]);
      if (values.since) {
        const n = /^\d+$/.test(values.since) ? Number(values.since) : Date.parse(values.since);
        if (!Number.isFinite(n))
          throw new UsageError(`--since: expected ms or an ISO date, got "${values.since}"`);
        q.set('since', String(n));
      }
      const r = await call('GET', `/api/commands${q.size > 0 ? `?${q}` : ''}`);
      if (r.status !== 200) failed(r);
      for (const v of (r.json as { commands: View[] }).commands) {
        const when = v.seen === null ? '-' : new Date(v.seen).toISOString();
        const outcomes = v.outcomes.map((o) => `${o.point}=${o.outcome}`).join(',') || '-';
        console.log(
          `${when} ${v.id} ${v.district}/${v.gateway}/${v.device} ${v.state} ${v.onBehalfOf ?? '?'} ${outcomes}`,
        );
      }
      return 0;
    }
    default:
      throw new UsageError(`unknown command "${verb}"\n${USAGE}`);
  }
}

runCli('ganzhi-command', () => main(process.argv.slice(2)));

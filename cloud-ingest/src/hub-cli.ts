/**
 * What the hub's command-line tools (`ganzhi-command`, `ganzhi-fleet`) share: the command line
 * up to the verb (--hub, --user, --password-file, --help), usage errors (exit 2), durations,
 * the operator's credentials (GANZHI_HUB_PASSWORD or --password-file, never the command line)
 * and one HTTP call to the hub with HTTP Basic.
 */
import { readFileSync } from 'node:fs';
import { type ParseArgsConfig, parseArgs } from 'node:util';

/** Wrong usage, credentials or an HTTP error: the tool prints it and exits 2. */
export class UsageError extends Error {}

/** `60s`, `500ms`, `2m`, `1h`, or a plain number of seconds → ms. */
export function parseDuration(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new UsageError(`${what}: expected a duration like 30s, 500ms or 2m, got "${text}"`);
  const unit = m[2] ?? 's';
  return Math.round(Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit]!);
}

export interface HubAnswer {
  status: number;
  json: unknown;
}

export interface HubClient {
  call(method: string, path: string, body?: unknown): Promise<HubAnswer>;
  /** throws the hub's refusal as a UsageError: `the hub answered 403 GZ_FORBIDDEN: …` */
  failed(r: HubAnswer): never;
}

/** The client of `--hub URL --user NAME [--password-file F]`; throws a UsageError naming what is missing. */
export function hubClient(o: { hub?: string; user?: string; 'password-file'?: string }): HubClient {
  if (!o.hub) throw new UsageError('--hub URL is required (e.g. http://127.0.0.1:9464)');
  if (!o.user) throw new UsageError('--user NAME is required');
  const password = o['password-file']
    ? readFileSync(o['password-file'], 'utf8').replace(/\r?\n$/, '')
    : process.env.GANZHI_HUB_PASSWORD;
  if (password === undefined) throw new UsageError('set GANZHI_HUB_PASSWORD or give --password-file');
  const base = o.hub.replace(/\/+$/, '');
  const auth = `Basic ${Buffer.from(`${o.user}:${password}`).toString('base64')}`;
  return {
    async call(method, path, body) {
      let res: Response;
      try {
        res = await fetch(`${base}${path}`, {
          method,
          headers: {
            authorization: auth,
            ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
          signal: AbortSignal.timeout(15_000),
        });
      } catch (err) {
        throw new UsageError(`cannot reach the hub at ${base}: ${(err as Error).message}`);
      }
      const text = await res.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = { message: text.slice(0, 200) };
      }
      return { status: res.status, json };
    },
    failed(r) {
      const j = r.json as { code?: string; message?: string };
      throw new UsageError(`the hub answered ${r.status}${j.code ? ` ${j.code}` : ''}: ${j.message ?? ''}`);
    },
  };
}

/** The options every hub tool takes, besides its own. */
const HUB_OPTIONS = {
  hub: { type: 'string' },
  user: { type: 'string' },
  'password-file': { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

type ToolOptions = NonNullable<ParseArgsConfig['options']>;
type HubArgs<O extends ToolOptions> = {
  args: string[];
  allowPositionals: true;
  options: typeof HUB_OPTIONS & O;
};

/** A hub tool's parsed command line `verb rest… --options`, with its client of the hub. */
export type HubCommandLine<O extends ToolOptions> = Pick<HubClient, 'call' | 'failed'> & {
  values: ReturnType<typeof parseArgs<HubArgs<O>>>['values'];
  verb: string;
  rest: string[];
};

/**
 * Parses a hub tool's command line: the common options and the tool's own `options` (an
 * unknown option throws). With --help, or without a verb, prints `usage` and gives the exit
 * code (0 for --help, 2 otherwise); else the hub client, which names a missing --hub, --user
 * or password (a UsageError) before the verb is looked at.
 */
export function hubCommandLine<O extends ToolOptions>(
  argv: string[],
  usage: string,
  options: O,
): HubCommandLine<O> | number {
  const config: HubArgs<O> = { args: argv, allowPositionals: true, options: { ...HUB_OPTIONS, ...options } };
  const { values, positionals } = parseArgs(config);
  // the common options, as TypeScript cannot see them through the generic `O`
  const common = values as { [K in keyof typeof HUB_OPTIONS]?: K extends 'help' ? boolean : string };
  const [verb, ...rest] = positionals;
  if (common.help || verb === undefined) {
    console.log(usage);
    return common.help ? 0 : 2;
  }
  const { call, failed } = hubClient(common);
  return { values, verb, rest, call, failed };
}

/** Runs a tool's main: its exit code, or 2 with `name: message` on stderr for any error. */
export function runCli(name: string, main: () => Promise<number>): void {
  main().then(
    (code) => process.exit(code),
    (err) => {
      console.error(`${name}: ${(err as Error).message}`);
      process.exit(2);
    },
  );
}

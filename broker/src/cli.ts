#!/usr/bin/env node
/**
 * ganzhi-broker — the composition root.
 *
 *   ganzhi-broker --config broker.yaml
 *   ganzhi-broker --port 1883 --users users.yaml [--tls-port 8883 --cert c.pem --key k.pem [--ca ca.pem]]
 *                 [--ws-port 8080] [--http-port 9090] [--redis redis://127.0.0.1:6379] [--allow-anonymous]
 *                 [--data-dir /var/lib/ganzhi/broker [--sync full]]
 *   ganzhi-broker user add NAME --role gateway --district D [--gateway G] --users users.yaml < password.txt
 *   ganzhi-broker user add NAME --role operator --districts north,east [--delegate] --users users.yaml < password.txt
 *                 (an operator commands the devices and pushes the desired configs of its districts' gateways;
 *                 --delegate: the hub's own user, whose onBehalfOf is kept)
 *   ganzhi-broker user remove NAME --users users.yaml
 *   ganzhi-broker user list --users users.yaml
 */
import { parseArgs } from 'node:util';
import { isLoopback } from './access-warnings.js';
import { runUserCommand } from './auth/user-command.js';
import { type BrokerConfig, DEFAULT_HOST, emptyConfig, loadConfigFile } from './config.js';

const USAGE = `usage:
  ganzhi-broker --config FILE [flags]
  ganzhi-broker [--port N] [--host ADDR] [--tls-port N --cert FILE --key FILE [--ca FILE]] [--ws-port N]
                [--http-port N] [--users FILE] [--allow-anonymous] [--redis URL] [--id ID] [--log-level L]
                [--data-dir DIR [--sync normal|full]]   (sessions in DIR/broker.db; without it, in memory)
  ganzhi-broker user add NAME --role gateway|ingest|viewer|operator|admin
                [--district D --gateway G | --districts A,B [--delegate]]
                --users FILE [--password-file F | < stdin] [--no-password]
  ganzhi-broker user remove NAME --users FILE
  ganzhi-broker user list --users FILE`;

/** Reads stdin to its end; on a terminal, prompts and reads one line without echo. */
function readStdin(): Promise<string> {
  const stdin = process.stdin;
  if (stdin.isTTY) {
    return new Promise((resolve) => {
      process.stderr.write('password: ');
      stdin.setRawMode(true);
      let pw = '';
      const onData = (d: Buffer) => {
        for (const ch of d.toString('utf8')) {
          if (ch === '\r' || ch === '\n' || ch === '\u0004') {
            stdin.setRawMode(false);
            stdin.off('data', onData);
            stdin.pause();
            process.stderr.write('\n');
            resolve(pw);
            return;
          }
          if (ch === '\u0003') process.exit(130);
          if (ch === '\u007f') pw = pw.slice(0, -1);
          else pw += ch;
        }
      };
      stdin.on('data', onData);
    });
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    process.stdin.on('data', (c: Buffer) => chunks.push(c));
    process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    process.stdin.on('error', reject);
  });
}

function port(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${flag}: not a port number: ${v}`);
  return n;
}

async function userMain(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      users: { type: 'string' },
      role: { type: 'string' },
      district: { type: 'string' },
      gateway: { type: 'string' },
      districts: { type: 'string' },
      delegate: { type: 'boolean' },
      'password-file': { type: 'string' },
      'no-password': { type: 'boolean' },
    },
  });
  await runUserCommand(
    {
      action: positionals[0],
      name: positionals[1],
      users: values.users,
      ...(values.role ? { role: values.role } : {}),
      ...(values.district ? { district: values.district } : {}),
      ...(values.gateway ? { gateway: values.gateway } : {}),
      ...(values.districts ? { districts: values.districts } : {}),
      ...(values.delegate ? { delegate: true } : {}),
      ...(values['password-file'] ? { passwordFile: values['password-file'] } : {}),
      ...(values['no-password'] ? { noPassword: true } : {}),
    },
    { readStdin, out: (l) => console.log(l) },
  );
}

async function serverMain(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', short: 'c' },
      host: { type: 'string' },
      port: { type: 'string', short: 'p' },
      'tls-port': { type: 'string' },
      cert: { type: 'string' },
      key: { type: 'string' },
      ca: { type: 'string' },
      'ws-port': { type: 'string' },
      'http-port': { type: 'string' },
      users: { type: 'string' },
      'allow-anonymous': { type: 'boolean' },
      redis: { type: 'string' },
      'data-dir': { type: 'string' },
      sync: { type: 'string' },
      id: { type: 'string' },
      'log-level': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const cfg: BrokerConfig = values.config ? loadConfigFile(values.config) : emptyConfig();
  const host = values.host ?? DEFAULT_HOST;
  const p = port(values.port, '--port');
  if (p !== undefined) cfg.listeners.tcp = { port: p, host };
  const tp = port(values['tls-port'], '--tls-port');
  if (tp !== undefined) {
    if (!values.cert || !values.key) throw new Error('--tls-port needs --cert and --key');
    cfg.listeners.tls = {
      port: tp,
      host,
      cert: values.cert,
      key: values.key,
      ...(values.ca ? { ca: values.ca } : {}),
    };
  }
  const wp = port(values['ws-port'], '--ws-port');
  if (wp !== undefined) cfg.listeners.ws = { port: wp, host, path: '/mqtt' };
  const hp = port(values['http-port'], '--http-port');
  if (hp !== undefined) cfg.http = { port: hp, host };
  if (values.users) cfg.users = values.users;
  if (values['allow-anonymous']) cfg.allowAnonymous = true;
  if (values.redis) cfg.redis = values.redis;
  if (values['data-dir'])
    cfg.persistence = { dataDir: values['data-dir'], sync: cfg.persistence?.sync ?? 'normal' };
  if (values.sync !== undefined) {
    if (values.sync !== 'normal' && values.sync !== 'full')
      throw new Error(`--sync: normal or full, not ${values.sync}`);
    if (!cfg.persistence)
      throw new Error('--sync needs --data-dir (or persistence.dataDir in the config file)');
    cfg.persistence.sync = values.sync;
  }
  if (values.id) cfg.id = values.id;
  if (values['log-level']) cfg.logLevel = values['log-level'];
  if (!cfg.listeners.tcp && !cfg.listeners.tls && !cfg.listeners.ws) {
    cfg.listeners.tcp = { port: 1883, host };
  }

  // loaded here so `ganzhi-broker user …` starts without Aedes, fastify and ws
  const [{ default: pino }, { startBroker }, { FileCredentialStore, ReloadableCredentialStore }] =
    await Promise.all([import('pino'), import('./broker.js'), import('./auth/credentials.js')]);
  const logger = pino({ level: cfg.logLevel, name: 'ganzhi-broker' }, pino.destination(2));
  const usersFile = cfg.users;
  const credentials = usersFile
    ? new ReloadableCredentialStore(FileCredentialStore.fromFile(usersFile))
    : undefined;
  const broker = await startBroker(cfg, { logger, ...(credentials ? { credentials } : {}) });
  const a = broker.addresses;
  const mode = cfg.redis
    ? ' (redis cluster mode)'
    : cfg.persistence
      ? ` (sessions on disk: ${cfg.persistence.dataDir}/broker.db)`
      : ' (sessions in memory: lost on a crash)';
  console.log(`ganzhi-broker ${broker.aedes.id} ready${mode}`);
  if (a.tcp) console.log(`  mqtt  tcp  mqtt://${a.tcp.host}:${a.tcp.port}`);
  if (a.tls) console.log(`  mqtt  tls  mqtts://${a.tls.host}:${a.tls.port}`);
  if (a.ws) console.log(`  mqtt  ws   ws://${a.ws.host}:${a.ws.port}${cfg.listeners.ws?.path ?? ''}`);
  if (a.http)
    console.log(`  http       http://${a.http.host}:${a.http.port} (/healthz /metrics /api/clients)`);
  if (credentials) console.log(`  users      ${credentials.size} from ${cfg.users}`);
  // the same warning is in the log; here it is where the operator reads the addresses
  if (credentials) {
    for (const name of ['tcp', 'ws'] as const) {
      const l = cfg.listeners[name];
      if (l && !isLoopback(l.host))
        console.log(
          `  WARNING    passwords cross the plaintext ${name} listener on ${l.host}: use TLS for remote clients`,
        );
    }
  }

  let stopping = false;
  const stop = (sig: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ sig }, 'stopping');
    broker.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'close failed');
        process.exit(1);
      },
    );
  };
  // SIGHUP: re-read the credentials file; a bad file is logged and the old users stay in force
  process.on('SIGHUP', () => {
    if (!credentials || !usersFile) return;
    try {
      credentials.replace(FileCredentialStore.fromFile(usersFile));
      const closed = broker.disconnectRevoked();
      logger.info({ users: credentials.size, closed }, 'credentials reloaded');
    } catch (err) {
      logger.error({ err: (err as Error).message }, 'credentials reload failed; keeping the previous users');
    }
  });
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === 'user') await userMain(argv.slice(1));
  else await serverMain(argv);
}

main().catch((err: unknown) => {
  const e = err as { code?: string; message?: string };
  console.error(`ganzhi-broker: ${e.code ? `${e.code}: ` : ''}${e.message ?? String(err)}`);
  process.exit(2);
});

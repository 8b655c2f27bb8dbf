/**
 * Disk mode with the real broker: a PUBACK is sent only after the message is on disk, and a
 * `kill -9` of the ganzhi-broker CLI loses nothing it acknowledged — queued QoS 1 messages of an
 * offline persistent session, and the will of a gateway that was connected when it died.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { type Spawned, spawnLogged, tempDir, waitFor } from '../../test-support/process.js';
import { hashPassword } from '../src/index.js';
import { DiskPersistence } from '../src/persistence/disk-persistence.js';
import {
  CHEAP_SCRYPT,
  closed,
  collect,
  connect,
  endAll,
  login,
  roundTrip,
  startTestBroker,
  subscribe,
} from './helpers.js';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

/** Fault injection: holds every outgoingEnqueueCombi after its commit until released. */
class HeldEnqueueDisk extends DiskPersistence {
  held = 0;
  completed = 0;
  #release: () => void = () => {};
  readonly #gate = new Promise<void>((r) => {
    this.#release = r;
  });
  release(): void {
    this.#release();
  }
  override async outgoingEnqueueCombi(subs: { clientId: string }[], packet: object): Promise<void> {
    await super.outgoingEnqueueCombi(subs, packet);
    this.held++;
    await this.#gate;
    this.completed++;
  }
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('disk mode with the broker', () => {
  it('Aedes alone writes a QoS 1 PUBACK before the offline enqueue (why the broker gates PUBACKs)', async () => {
    const dir = tempDir('gz-disk-puback-');
    const store = new HeldEnqueueDisk({ file: join(dir, 'broker.db') });
    const aedes = await Aedes.createBroker({ persistence: store as never });
    const server: Server = createServer(aedes.handle);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(async () => {
      store.release();
      await new Promise<void>((r) => server.close(() => r()));
      await new Promise<void>((r) => aedes.close(() => r()));
      await store.destroy();
    });
    const addr = server.address();
    const url = `mqtt://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    const sub = await connect(url, { clientId: 'ingest', clean: false });
    await subscribe(sub, 'gz/#', 1);
    await endAll(sub);
    const pub = await connect(url, { clientId: 'gw' });
    cleanups.push(() => endAll(pub));
    const acked = await Promise.race([
      pub.publishAsync('gz/v1/n/gw/pm1/data', 'reading', { qos: 1 }).then(() => 'PUBACK'),
      new Promise<string>((r) => setTimeout(() => r('no PUBACK'), 5000)),
    ]);
    // the PUBACK arrived although the enqueue has not completed (it is held until release)
    expect(acked).toBe('PUBACK');
    expect(store.completed).toBe(0);
  });

  it('disk mode: the PUBACK waits for the commit of the message, and a failed write is never acknowledged', async () => {
    const dir = tempDir('gz-disk-gate-');
    const broker = await startTestBroker((cfg) => {
      cfg.persistence = { dataDir: dir, sync: 'normal' };
    });
    const store = (broker.aedes as unknown as { persistence: DiskPersistence }).persistence;
    // fault injection on the live store: hold, or fail, the offline enqueue after it committed
    const enqueue = store.outgoingEnqueueCombi.bind(store);
    let held = 0;
    let fail = false;
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    store.outgoingEnqueueCombi = async (subs, packet) => {
      await enqueue(subs, packet);
      held++;
      if (fail) throw new Error('injected disk failure');
      await gate;
    };
    cleanups.push(async () => {
      release();
      await broker.close();
    });
    const ing = await login(broker, 'ingest', { clientId: 'ganzhi-ingest-gate', clean: false });
    await subscribe(ing, 'gz/v1/+/+/+/data', 1);
    await endAll(ing);
    const gw = await login(broker, 'gw-north');
    const other = await login(broker, 'viewer-north');
    cleanups.push(() => endAll(gw, other));
    let acked = false;
    const first = gw.publishAsync('gz/v1/north/gw-north/pm1/data', 'r1', { qos: 1 }).then(() => {
      acked = true;
    });
    await waitFor('enqueue reached the store', () => (held === 1 ? true : undefined));
    for (let i = 0; i < 3; i++) await roundTrip(other, `gz/v1/north/+/probe${i}`);
    expect(acked).toBe(false);
    release();
    await first;
    expect(store.depthOf('ganzhi-ingest-gate')).toBe(1);
    expect(broker.metricsText()).toMatch(/^gz_broker_queued_messages 1$/m);
    // the session file is visible to operators: commits made, nothing stuck, bytes on disk
    const text = broker.metricsText();
    expect(Number(/^gz_broker_store_commits_total (\d+)$/m.exec(text)?.[1])).toBeGreaterThan(0);
    expect(text).toMatch(/^gz_broker_store_pending_changes 0$/m);
    expect(Number(/^gz_broker_store_file_bytes (\d+)$/m.exec(text)?.[1])).toBeGreaterThan(0);

    fail = true;
    const gwClosed = closed(gw);
    const second = gw.publishAsync('gz/v1/north/gw-north/pm1/data', 'r2', { qos: 1 }).then(
      () => 'acknowledged',
      () => 'not acknowledged',
    );
    await gwClosed;
    gw.end(true);
    expect(await second).toBe('not acknowledged');
  });

  it('ganzhi-broker refuses to start on an unreadable session file, naming it (exit 2)', async () => {
    const dir = tempDir('gz-disk-corrupt-');
    mkdirSync(join(dir, 'data'));
    const file = join(dir, 'data', 'broker.db');
    writeFileSync(file, Buffer.alloc(8192, 0x5a));
    const proc = spawnLogged(
      process.execPath,
      [CLI, '--port', '0', '--allow-anonymous', '--data-dir', join(dir, 'data'), '--log-level', 'warn'],
      { dir, name: 'broker-corrupt' },
    );
    const code = await new Promise<number | null>((r) => {
      if (proc.child.exitCode !== null) r(proc.child.exitCode);
      else proc.child.once('exit', (c) => r(c));
    });
    expect(code).toBe(2);
    expect(proc.log()).toContain(`GZ_BROKER_STORE: broker session file ${file} cannot be used`);
    expect(proc.log()).not.toMatch(/ready/);
  });

  it('a second ganzhi-broker on the same data dir refuses to start (exit 2) and the first keeps serving', async () => {
    const dir = tempDir('gz-disk-twice-');
    const args = [
      CLI,
      '--port',
      '0',
      '--allow-anonymous',
      '--data-dir',
      join(dir, 'data'),
      '--log-level',
      'warn',
    ];
    const first = spawnLogged(process.execPath, args, { dir, name: 'broker-first' });
    try {
      const port = await waitFor(
        'first broker listening',
        () => /mqtt:\/\/127\.0\.0\.1:(\d+)/.exec(first.log())?.[1],
      );
      const second = spawnLogged(process.execPath, args, { dir, name: 'broker-second' });
      const code = await new Promise<number | null>((r) => {
        if (second.child.exitCode !== null) r(second.child.exitCode);
        else second.child.once('exit', (c) => r(c));
      });
      expect(code).toBe(2);
      expect(second.log()).toContain('in use by another broker process');
      expect(second.log()).not.toMatch(/ready/);
      const c = await connect(`mqtt://127.0.0.1:${port}`, { clientId: 'still-served' });
      await c.publishAsync('t/x', 'ok', { qos: 1 });
      await endAll(c);
    } finally {
      await first.stop();
    }
  });

  it('kill -9 of ganzhi-broker: every acknowledged message reaches the persistent subscriber, and the dead gateway’s will is published', async () => {
    const dir = tempDir('gz-disk-kill-');
    const users = join(dir, 'users.json');
    const hash = (u: string) => hashPassword(`${u}-password`, CHEAP_SCRYPT);
    writeFileSync(
      users,
      JSON.stringify({
        users: {
          ingest: { role: 'ingest', hash: await hash('ingest') },
          'gw-north': {
            role: 'gateway',
            district: 'north',
            gateway: 'gw-north',
            hash: await hash('gw-north'),
          },
        },
      }),
    );
    // a short heartbeat so that Aedes' will sweep (every 4 heartbeats) runs soon after the restart
    const config = join(dir, 'broker.yaml');
    writeFileSync(config, 'listeners: {}\nheartbeatIntervalMs: 250\n');
    const startCli = async (): Promise<{ proc: Spawned; url: string }> => {
      const proc = spawnLogged(
        process.execPath,
        [
          CLI,
          '--config',
          config,
          '--port',
          '0',
          '--users',
          users,
          '--data-dir',
          join(dir, 'data'),
          '--log-level',
          'warn',
        ],
        { dir, name: `broker-${Date.now()}` },
      );
      const port = await waitFor(
        'broker listening',
        () => /mqtt:\/\/127\.0\.0\.1:(\d+)/.exec(proc.log())?.[1],
      );
      return { proc, url: `mqtt://127.0.0.1:${port}` };
    };
    let cli = await startCli();
    cleanups.push(() => cli.proc.stop());
    const ingestOpts = {
      username: 'ingest',
      password: 'ingest-password',
      clientId: 'ganzhi-ingest-durable',
      clean: false,
    };
    const ing = await connect(cli.url, ingestOpts);
    await subscribe(ing, ['gz/v1/+/+/+/data', 'gz/v1/+/+/state'], 1);
    await endAll(ing);

    const gw: MqttClient = await connect(cli.url, {
      username: 'gw-north',
      password: 'gw-north-password',
      clientId: 'gw-north',
      will: { topic: 'gz/v1/north/gw-north/state', payload: Buffer.from('lost'), qos: 1, retain: false },
    });
    gw.on('error', () => {});
    // publish without waiting; record what was acknowledged; kill -9 in the middle of the stream
    const acked: string[] = [];
    let sent = 0;
    let stop = false;
    // up to 20 publishes in flight at once, as a gateway draining its buffer does
    const pump = () => {
      if (stop || !gw.connected) return;
      const payload = `m${sent++}`;
      gw.publish('gz/v1/north/gw-north/pm1/data', payload, { qos: 1 }, (err) => {
        if (!err) acked.push(payload);
        pump();
      });
    };
    for (let i = 0; i < 20; i++) pump();
    await waitFor('some acknowledged', () => (acked.length >= 300 ? true : undefined));
    await cli.proc.kill9();
    const gwClosed = closed(gw);
    stop = true;
    await gwClosed;
    gw.end(true);
    expect(acked.length).toBeGreaterThanOrEqual(300);

    cli = await startCli();
    // listen before CONNACK: the resumed queue follows it in the same read
    const back = mqtt.connect(cli.url, { ...ingestOpts, reconnectPeriod: 0 });
    const got = collect(back);
    await new Promise((resolve, reject) => {
      back.once('connect', resolve);
      back.once('error', reject);
    });
    const last = acked[acked.length - 1];
    await got.match((m) => m.payload === last);
    await got.match((m) => m.topic === 'gz/v1/north/gw-north/state' && m.payload === 'lost');
    const received = new Set(got.got.map((m) => m.payload));
    expect(acked.filter((p) => !received.has(p))).toEqual([]);
    // in order: the queue replays as it was written
    const data = got.got.filter((m) => m.topic.endsWith('/data')).map((m) => m.payload);
    expect(data.slice(0, acked.length)).toEqual(acked);
    await endAll(back);
  }, 30_000);
});

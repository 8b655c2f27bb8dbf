/**
 * Issue 13, finding 8: every security event is one structured log line — who (a user, or a
 * fingerprint of a name that is no user), from where, what, why — rate-limited so an attack cannot
 * flood the log (suppressed lines are counted and reported), never containing a secret.
 */
import { ManualClock } from '@ganzhi/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { emptyConfig, FileCredentialStore, type RunningBroker, startBroker } from '../src/index.js';
import {
  capturingLogger,
  closed,
  connect,
  credentialsFor,
  endAll,
  subscribe,
  tcpUrl,
  USERS,
} from './helpers.js';
import { connectPacket, RawClient } from './raw-client.js';

const brokers: RunningBroker[] = [];
afterEach(async () => {
  for (const b of brokers.splice(0)) await b.close();
});

async function loggedBroker(clock = new ManualClock(1_000_000)) {
  const cap = capturingLogger();
  const cfg = emptyConfig();
  cfg.listeners.tcp = { port: 0, host: '127.0.0.1' };
  cfg.limits.maxPacketBytes = 4096;
  cfg.limits.connectsPerSecondPerIp = 1000;
  cfg.limits.connectBurstPerIp = 1000;
  const credentials = new FileCredentialStore(await credentialsFor(USERS));
  const b = await startBroker(cfg, { logger: cap.logger, credentials, clock });
  brokers.push(b);
  return { b, clock, ...cap };
}

const login = (b: RunningBroker, user: string, clientId = `${user}.x`) =>
  connect(tcpUrl(b), { username: user, password: `${user}-password`, clientId });

describe('security events', () => {
  it('one line per event with who, from where, what and why: ACL denials, takeover, auth failure, oversize, protocol', async () => {
    const { b, lines, text } = await loggedBroker();
    const gw = await login(b, 'gw-north');
    // ACL: a subscription and a publish refused
    expect(await subscribe(gw, 'gz/v1/south/#')).toEqual([128]);
    const gone = closed(gw);
    gw.publish('gz/v1/south/gw-south/pm1/data', 'x', { qos: 1 });
    await gone;
    // takeover attempt: another gateway's id
    await expect(login(b, 'gw-south', 'gz-north-gw-north')).rejects.toThrow();
    // auth failure
    await expect(
      connect(tcpUrl(b), { username: 'gw-south', password: 'secret-wrong', clientId: 'gw-south' }),
    ).rejects.toThrow();
    // oversize packet before authentication, and a protocol violation
    const big = await RawClient.open(b.addresses.tcp?.port ?? 0);
    big.send(Buffer.from([0x10, 0xff, 0xff, 0x03]));
    await big.whenClosed();
    const bad = await RawClient.open(b.addresses.tcp?.port ?? 0);
    bad.send(connectPacket({ clientId: 'root.p', username: 'root', password: Buffer.from('root-password') }));
    await bad.next('connack');
    bad.send(Buffer.from([0x82, 0x02, 0x00, 0x01])); // SUBSCRIBE without a filter [MQTT-3.8.3-3]
    await bad.whenClosed();

    const ev = (kind: string) => lines.filter((l) => l.security === kind);
    expect(ev('acl_denied')).toEqual([
      expect.objectContaining({
        user: 'gw-north',
        clientId: 'gw-north.x',
        ip: '127.0.0.1',
        what: 'gz/v1/south/#',
        why: expect.any(String),
      }),
      expect.objectContaining({
        user: 'gw-north',
        what: 'gz/v1/south/gw-south/pm1/data',
        why: 'publish not allowed',
      }),
    ]);
    expect(ev('client_id_refused')).toEqual([
      expect.objectContaining({
        user: 'gw-south',
        what: 'gz-north-gw-north',
        ip: '127.0.0.1',
        why: expect.stringMatching(/client id/),
      }),
    ]);
    expect(ev('auth_failure')).toEqual([
      expect.objectContaining({ user: 'gw-south', ip: '127.0.0.1', why: 'bad user name or password' }),
    ]);
    expect(ev('oversize')).toEqual([
      expect.objectContaining({
        ip: '127.0.0.1',
        listener: 'tcp',
        why: expect.stringMatching(/exceeds 4096/),
      }),
    ]);
    expect(ev('protocol')).toEqual([
      expect.objectContaining({
        ip: '127.0.0.1',
        listener: 'tcp',
        why: expect.stringMatching(/without a topic filter/),
      }),
    ]);
    for (const l of lines.filter((x) => x.security)) expect(l.level).toBe(40);
    expect(text()).not.toMatch(/secret-wrong|-password/);
    expect(lines.filter((l) => l.security === 'auth_failure')).toHaveLength(1);
    const m = b.metricsText();
    expect(m).toMatch(/gz_broker_security_events_total\{event="acl_denied"\} 2/);
    expect(m).toMatch(/gz_broker_security_events_total\{event="oversize"\} 1/);
    await endAll(gw);
  });

  it('is rate-limited per kind: a flood of denials writes at most the burst, counts the rest, and says so on the next line', async () => {
    const { b, lines, clock } = await loggedBroker();
    const gw = await login(b, 'gw-north');
    const filters = Array.from({ length: 200 }, (_, i) => `gz/v1/south/d${i}/#`);
    const granted = await subscribe(gw, filters);
    expect(granted.every((g) => g === 128)).toBe(true);
    const denied = () => lines.filter((l) => l.security === 'acl_denied');
    expect(denied()).toHaveLength(20);
    expect(b.metricsText()).toMatch(/gz_broker_security_log_suppressed_total\{event="acl_denied"\} 180/);
    expect(b.metricsText()).toMatch(/gz_broker_security_events_total\{event="acl_denied"\} 200/);
    // other kinds have their own budget
    await expect(
      connect(tcpUrl(b), { username: 'gw-north', password: 'bad', clientId: 'gw-north' }),
    ).rejects.toThrow();
    expect(lines.filter((l) => l.security === 'auth_failure')).toHaveLength(1);
    // a second later there is budget again, and the next line reports what was left out
    clock.advance(1000);
    expect(await subscribe(gw, 'gz/v1/east/#')).toEqual([128]);
    expect(denied()).toHaveLength(21);
    expect(denied()[20]).toMatchObject({ what: 'gz/v1/east/#', suppressed: 180 });
    await endAll(gw);
  });
});

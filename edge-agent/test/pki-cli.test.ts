/**
 * The commissioning path as a field engineer walks it, with real processes: `ganzhi-agent run`
 * against the simulators' OPC UA server (SignAndEncrypt, the server's own self-signed
 * certificate, the agent's default trust mode) refuses the unknown certificate and says which
 * one on /api/devices (what the status page shows); `ganzhi-agent pki list` shows it in
 * rejected/; `ganzhi-agent pki trust <thumbprint>` makes the same running agent connect.
 */
import { execFile, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ProfileRegistry } from '@ganzhi/device-profiles';
import { type OpcuaServerHandle, SimDevice, startOpcuaServer, systemClock } from '@ganzhi/simulators';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, tempDir, waitFor } from '../../test-support/process.js';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const run = promisify(execFile);
const literal = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const profile = ProfileRegistry.builtin().get('pump-station-opcua')!;

interface DeviceView {
  id: string;
  state: string;
  lastError?: string;
  points: { name: string; quality: string }[];
}

describe('ganzhi-agent pki: trust a refused server certificate in a running agent', () => {
  const dir = tempDir('ganzhi-agent-pki-cli-');
  let server: OpcuaServerHandle;
  beforeAll(async () => {
    server = await startOpcuaServer({
      port: 0,
      devices: [new SimDevice({ id: 'ps-1', profile, clock: systemClock })],
      pkiDir: join(dir, 'sim-pki'),
      tickMs: 100,
      security: { modes: ['SignAndEncrypt'], allowAnonymous: true },
    });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
  });

  it('shows the refused certificate, lists it, and connects once it is trusted — without a restart', async () => {
    const httpPort = await freePort();
    const cfg = join(dir, 'gw.yaml');
    writeFileSync(
      cfg,
      [
        'gateway: gw-pki',
        'district: test',
        'stateDir: ./state',
        'devices:',
        '  - id: pump-1',
        '    profile: pump-station-opcua',
        `    endpoint: ${server.endpointUrl}`,
        '    pollIntervalMs: 500',
        '    opcua: { securityMode: SignAndEncrypt, mode: poll, namespaceUri: "urn:ganzhi:pump-station/ps-1" }',
        `http: { host: 127.0.0.1, port: ${httpPort} }`,
      ].join('\n'),
    );
    const child = spawn(process.execPath, [cli, 'run', '--config', cfg, '--stdout', '--log-level', 'warn'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const device = async (): Promise<DeviceView | undefined> => {
      try {
        const r = await fetch(`http://127.0.0.1:${httpPort}/api/devices`);
        return ((await r.json()) as { devices: DeviceView[] }).devices[0];
      } catch {
        return undefined;
      }
    };
    try {
      const refused = await waitFor(
        'the refusal on /api/devices',
        async () => {
          const d = await device();
          return d?.state === 'down' && d.lastError?.startsWith('certificate: ') ? d : undefined;
        },
        60_000,
        250,
      );
      const m =
        /^certificate: server certificate (CN=.+?) \(SHA-1 ([0-9A-F:]{59})\) is not trusted: filed in (.+)\/rejected; if it is the server's, trust it with: ganzhi-agent pki trust \2$/.exec(
          refused.lastError!,
        );
      expect(m, refused.lastError).not.toBeNull();
      const [, subject, thumbprint, pkiDir] = m!;
      expect(pkiDir).toBe(join(dir, 'state', 'pki', 'opcua'));
      expect(refused.points.every((p) => p.quality === 'bad')).toBe(true);

      const listed = await run(process.execPath, [cli, 'pki', 'list', '--config', cfg], { encoding: 'utf8' });
      expect(listed.stdout).toContain(`${pkiDir}  — pump-1 (trust: strict, securityMode: SignAndEncrypt)`);
      expect(listed.stdout).toMatch(
        new RegExp(`^  rejected  ${literal(subject!)} \\(SHA-1 ${thumbprint}\\), self-signed, valid `, 'm'),
      );
      expect(listed.stdout).toMatch(/^ {2}trusted {3}\(none\)$/m);

      const trusted = await run(process.execPath, [cli, 'pki', 'trust', thumbprint!, '--config', cfg], {
        encoding: 'utf8',
      });
      expect(trusted.stdout).toContain(`trusted ${subject} (SHA-1 ${thumbprint})`);
      expect(trusted.stdout).toContain('no restart needed');

      const up = await waitFor(
        'the device up in the same agent process',
        async () => {
          const d = await device();
          return d?.state === 'up' ? d : undefined;
        },
        60_000,
        250,
      );
      expect(up.lastError).toBeUndefined();
      expect(up.points.some((p) => p.quality === 'good')).toBe(true);
      expect(child.exitCode, stderr).toBeNull();

      // an unknown thumbprint is an error that names it, exit 1
      const nope = await run(
        process.execPath,
        [
          cli,
          'pki',
          'reject',
          '00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33',
          '--config',
          cfg,
        ],
        { encoding: 'utf8' },
      ).catch((err: { code: number; stderr: string }) => err);
      expect(nope).toMatchObject({ code: 1 });
      expect((nope as { stderr: string }).stderr).toContain('no certificate with SHA-1 00:11:22');
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    // the agent never logged a secret or the certificate store's key material
    expect(stderr).not.toMatch(/PRIVATE KEY/);
  }, 150_000);
});

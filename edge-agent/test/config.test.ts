// biome-ignore-all lint/suspicious/noTemplateCurlyInString: secret references are written ${ENV:NAME} on purpose
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test-support/process.js';
import { configJsonSchema } from '../src/config/config-schema.js';
import { parseConfig } from '../src/config/load-config.js';
import { fixtures } from './helpers.js';

const ws = fileURLToPath(new URL('..', import.meta.url));

const good = `
gateway: gw-1
district: haidian
profileDirs: [${fixtures}profiles]
defaults: { pollIntervalMs: 2000, timeoutMs: 500 }
devices:
  - id: m1
    profile: test-meter
    endpoint: modbus-tcp://127.0.0.1:1502
    points: [voltage, energy]
    pointOverrides: { voltage: { deadband: 0.5 } }
  - id: m2
    profile: test-meter
    endpoint: modbus-rtu:///dev/ttyUSB0?baud=19200&parity=E
    unitId: 7
    timeoutMs: 200
    modbus: { maxRegistersPerRead: 4 }
`;

describe('gateway config', () => {
  it('resolves devices with defaults, the points subset and overrides', () => {
    const r = parseConfig(good, 'gw.yaml', { env: {} });
    expect(r.problems).toEqual([]);
    const [m1, m2] = r.devices;
    expect(m1).toMatchObject({ id: 'm1', unitId: 1, pollIntervalMs: 2000, timeoutMs: 500, retries: 1 });
    expect(m1!.points.map((p) => p.name)).toEqual(['voltage', 'energy']);
    expect(m1!.points[0]!.deadband).toBe(0.5);
    expect(m2).toMatchObject({ unitId: 7, timeoutMs: 200, endpoint: { baudRate: 19200, parity: 'even' } });
    expect(m2!.profile.modbus?.maxRegistersPerRead).toBe(4);
  });

  it('resolves OPC UA identity files and the PKI folder relative to the config file, as stateDir', () => {
    const text = `
gateway: gw-1
district: haidian
stateDir: st
devices:
  - id: p1
    profile: pump-station-opcua
    endpoint: opc.tcp://127.0.0.1:4840
    opcua:
      pkiDir: pki
      identity: { type: certificate, certificateFile: certs/agent.pem, privateKeyFile: /etc/ganzhi/agent.key }
`;
    const r = parseConfig(text, '/srv/gz/gateway.yaml', { env: {} });
    expect(r.problems).toEqual([]);
    const d = r.devices[0]!;
    if (d.protocol !== 'opcua') throw new Error(`an OPC UA device, not ${d.protocol}`);
    expect(d.opcua.pkiDir).toBe('/srv/gz/pki');
    expect(d.opcua.identity).toEqual({
      type: 'certificate',
      certificateFile: '/srv/gz/certs/agent.pem',
      privateKeyFile: '/etc/ganzhi/agent.key',
    });
    expect(d.opcua.trust).toBe('strict');
  });

  it('reports every problem at once with line and path', () => {
    const text = `gateway: gw-1
district: haidian
profileDirs: [${fixtures}profiles]
devices:
  - id: m1
    profile: no-such-profile
    endpoint: modbus-tcp://127.0.0.1:1502
  - id: m1
    profile: test-meter
    endpoint: modbus-rtu:///dev/ttyUSB0?parity=Q
    points: [voltage, volts]
    timeoutMs: fast
  - id: m3
    profile: test-meter
    endpoint: opc.tcp://plc:4840
    opcua: { identity: { type: username, username: u, password: "\${ENV:GZ_NOT_SET}" } }
  - id: gps
    profile: gps-nmea
    endpoint: serial:///dev/ttyS1?baud=4800
  - id: gps-2
    profile: gps-nmea
    endpoint: serial:///dev/ttyS1?baud=9600
`;
    const r = parseConfig(text, 'gw.yaml', { env: {} });
    const lines = r.problems.map((p) => `${p.line}:${p.path}: ${p.message}`);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^6:devices\[0\]\.profile: unknown profile "no-such-profile"/),
        expect.stringMatching(/^8:devices\[1\]\.id: duplicate device id "m1"/),
        expect.stringMatching(/^10:devices\[1\]\.endpoint: .*invalid parity/),
        expect.stringMatching(/^11:devices\[1\]\.points\[1\]: profile "test-meter" has no point "volts"/),
        expect.stringMatching(/^12:devices\[1\]\.timeoutMs: /),
        expect.stringMatching(/^15:devices\[2\]\.endpoint: scheme opc.tcp cannot serve profile "test-meter"/),
        expect.stringMatching(/^16:devices\[2\]\.opcua\.identity\.password: environment variable GZ_NOT_SET/),
        expect.stringMatching(/^22:devices\[4\]\.endpoint: this line is already used by devices\[3\]/),
      ]),
    );
    expect(r.devices).toEqual([]);
  });

  it('commands: enabled is a boolean, other keys are named problems with their line', () => {
    const base = `gateway: gw1
district: haidian
devices:
  - { id: l1, profile: streetlight-controller, endpoint: "modbus-tcp://127.0.0.1:1502" }
`;
    expect(parseConfig(`${base}commands: { enabled: false }\n`, 'gw.yaml', { env: {} }).problems).toEqual([]);
    const r = parseConfig(`${base}commands:\n  enabled: "no"\n  allow: all\n`, 'gw.yaml', { env: {} });
    expect(r.problems.map((p) => `${p.line}:${p.path}`)).toEqual(
      expect.arrayContaining(['6:commands.enabled', '7:commands.allow']),
    );
  });

  it('ships a JSON Schema identical to the one generated from the TypeBox definition', () => {
    const committed = JSON.parse(readFileSync(join(ws, 'schema/config.schema.json'), 'utf8'));
    expect(committed).toEqual(configJsonSchema());
  });

  it('validate CLI: exit 1 and every problem on stderr; exit 0 when fine', () => {
    const dir = tempDir('ganzhi-agent-cfg-');
    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      good
        .replace('points: [voltage, energy]', 'points: [voltage, nope]')
        .replace('unitId: 7', 'unitId: 300'),
    );
    const r = spawnSync(process.execPath, [join(ws, 'dist/cli.js'), 'validate', '--config', bad], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${bad}:10:`);
    expect(r.stderr).toMatch(/devices\[0\]\.points\[1\]: profile "test-meter" has no point "nope"/);
    expect(r.stderr).toMatch(/devices\[1\]\.unitId: /);
    const ok = join(dir, 'ok.yaml');
    writeFileSync(ok, good);
    expect(
      execFileSync(process.execPath, [join(ws, 'dist/cli.js'), 'validate', '--config', ok], {
        encoding: 'utf8',
      }),
    ).toMatch(/ok \(gateway gw-1, 2 devices\)/);
  });
});

describe('secrets and credentials in the config', () => {
  const withSecrets = (endpoint: string) => `gateway: gw-1
district: haidian
devices:
  - id: p1
    profile: pump-station-opcua
    endpoint: ${endpoint}
    opcua:
      securityMode: SignAndEncrypt
      identity: { type: username, username: ops, password: pump-pw-inline }
delivery:
  mqtt: { url: "mqtts://hub:8883", username: gw-1, password: mqtt-pw-inline }
`;

  it('validate warns about each password written inline, naming its path and never its value', () => {
    const dir = tempDir('ganzhi-agent-cfg-');
    const file = join(dir, 'inline.yaml');
    writeFileSync(file, withSecrets('opc.tcp://plc:4840'));
    const r = spawnSync(process.execPath, [join(ws, 'dist/cli.js'), 'validate', '--config', file], {
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    const warnings = r.stderr.split('\n').filter((l) => l.startsWith('warning: '));
    expect(warnings).toEqual([
      expect.stringMatching(
        /:9:\d+ devices\[0\]\.opcua\.identity\.password: a secret written into the config file: use \$\{ENV:NAME\} or \$\{FILE:\/path\}/,
      ),
      expect.stringMatching(/:11:\d+ delivery\.mqtt\.password: a secret written into the config file/),
    ]);
    expect(r.stderr + r.stdout).not.toMatch(/pump-pw-inline|mqtt-pw-inline/);
    // a reference is what is asked for: no warning
    const refs = parseConfig(
      withSecrets('opc.tcp://plc:4840')
        .replace('pump-pw-inline', '"${ENV:PUMP_PW}"')
        .replace('mqtt-pw-inline', '"${FILE:/run/credentials/mqtt}"'),
      file,
      { env: { PUMP_PW: 'x' } },
    );
    expect(refs.warnings.filter((w) => /secret/.test(w.message))).toEqual([]);
  });

  it('refuses credentials in an endpoint URL, pointing to opcua.identity, never echoing the password', () => {
    const r = parseConfig(withSecrets('opc.tcp://ops:url-pw-secret@plc:4840'), 'gw.yaml', { env: {} });
    expect(r.devices).toEqual([]);
    const p = r.problems.find((x) => x.path === 'devices[0].endpoint');
    expect(p?.message).toMatch(/credentials do not belong in the URL \(use opcua\.identity/);
    expect(p?.message).toContain('opc.tcp://***@plc:4840');
    expect(JSON.stringify(r.problems)).not.toContain('url-pw-secret');
  });

  it('refuses a protocol setting on a device of another protocol', () => {
    const text = `gateway: gw-1
district: haidian
profileDirs: [${fixtures}profiles]
devices:
  - { id: m1, profile: test-meter, endpoint: "modbus-tcp://127.0.0.1:1502", opcua: { mode: poll } }
  - { id: p1, profile: pump-station-opcua, endpoint: "opc.tcp://plc:4840", unitId: 3, modbus: { maxGap: 0 } }
`;
    const r = parseConfig(text, 'gw.yaml', { env: {} });
    expect(r.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'devices[0].opcua: for opcua devices, but the endpoint modbus-tcp:// is modbus',
      'devices[1].unitId: for modbus devices, but the endpoint opc.tcp:// is opcua',
      'devices[1].modbus: for modbus devices, but the endpoint opc.tcp:// is opcua',
    ]);
  });

  it('warns when an OPC UA server would be trusted without a check', () => {
    const text = withSecrets('opc.tcp://plc:4840')
      .replace('securityMode: SignAndEncrypt', 'securityMode: SignAndEncrypt\n      trust: auto-accept')
      .replace('pump-pw-inline', '"${ENV:PW}"')
      .replace('mqtt-pw-inline', '"${ENV:PW}"');
    const r = parseConfig(text, 'gw.yaml', { env: { PW: 'x' } });
    expect(r.problems).toEqual([]);
    expect(r.warnings.map((w) => `${w.path}: ${w.message}`)).toEqual([
      expect.stringMatching(/^devices\[0\]\.opcua\.trust: auto-accept trusts any server certificate/),
    ]);
  });
});

describe('the MQTT user and the gateway it publishes for', () => {
  const cfg = (user: string) => `gateway: gw-haidian-01
district: haidian
devices: []
delivery:
  mqtt: { url: "mqtts://hub:8883", username: ${user}, password: "\${ENV:PW}" }
`;

  it('warns when the user is not named after the gateway (a config copied from another gateway)', () => {
    const r = parseConfig(cfg('dc-gw-01'), 'gw.yaml', { env: { PW: 'x' } });
    expect(r.problems).toEqual([]);
    expect(r.warnings.map((w) => `${w.line}:${w.path}`)).toEqual(['5:delivery.mqtt.username']);
    expect(r.warnings[0]?.message).toBe(
      'user "dc-gw-01" is not this gateway\'s id "gw-haidian-01": the broker lets a gateway user publish only under its own ' +
        'gz/v1/{district}/{gateway}/, and its convention is one user per gateway named after it ' +
        '(ganzhi-broker user add gw-haidian-01 --role gateway --district haidian --gateway gw-haidian-01); ' +
        'unless "dc-gw-01" was added with --district haidian --gateway gw-haidian-01, every publish is denied',
    );
  });

  it('says nothing when the user is the gateway, or comes from a reference it cannot see', () => {
    expect(parseConfig(cfg('gw-haidian-01'), 'gw.yaml', { env: { PW: 'x' } }).warnings).toEqual([]);
    const ref = parseConfig(cfg('"${ENV:MQTT_USER}"'), 'gw.yaml', {
      env: { PW: 'x', MQTT_USER: 'gw-haidian-01' },
    });
    expect(ref.warnings).toEqual([]);
  });
});

describe('config.sample.yaml', () => {
  it('validates against the builtin profiles once its secret is in the environment', () => {
    const file = join(ws, 'config.sample.yaml');
    const r = parseConfig(readFileSync(file, 'utf8'), file, {
      env: { PUMP3_OPCUA_PASSWORD: 'x', GANZHI_MQTT_PASSWORD: 'y', AQ_STATION_PW: 'z' },
    });
    expect(r.problems).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(r.devices.map((d) => d.id)).toEqual([
      'meter-main',
      'aq-roof',
      'meter-pump',
      'flow-1',
      'pump-station-3',
      'flat-101',
      'flat-102',
      'substation-3p',
      'water-main',
      'aq-station',
    ]);
  });
});

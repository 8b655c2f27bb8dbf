// biome-ignore-all lint/suspicious/noTemplateCurlyInString: secret references are written ${ENV:NAME} on purpose
/**
 * Config of DL/T 645, CJ/T 188 and HJ 212 devices: endpoints and defaults from the profile,
 * the protocol's own section required, addresses unique per bus / MN unique per listener, one
 * protocol per serial port, and the logger's password treated as a secret.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/load-config.js';
import { parseEndpoint } from '../src/drivers/protocols.js';

const head = 'gateway: gw-1\ndistrict: haidian\ndevices:\n';
const problems = (devices: string, env: Record<string, string> = {}) =>
  parseConfig(head + devices, 'gw.yaml', { env }).problems.map((p) => `${p.line}: ${p.path}: ${p.message}`);

describe('national-standard devices in the gateway config', () => {
  it('resolves a DL/T 645 meter, a CJ/T 188 meter and an HJ 212 logger', () => {
    const r = parseConfig(
      `${head}  - { id: em, profile: dlt645-three-phase-meter, endpoint: "dlt645:///dev/ttyUSB0", dlt645: { address: "000000000161" } }
  - { id: wm, profile: cjt188-water-meter, endpoint: "cjt188-tcp://10.0.0.9:4001", cjt188: { address: "78330011223344" } }
  - { id: aq, profile: hj212-air-quality-station, endpoint: "hj212://0.0.0.0:9100", hj212: { mn: "88888880000001", password: "\${ENV:AQ_PW}", utcOffset: "+07:00" } }
`,
      'gw.yaml',
      { env: { AQ_PW: 'pw123' } },
    );
    expect(r.problems).toEqual([]);
    expect(r.warnings).toEqual([]);
    const [em, wm, aq] = r.devices;
    // the profile's 2400 bit/s; even parity as both standards name it
    expect(em).toMatchObject({
      protocol: 'dlt645',
      address: '000000000161',
      preamble: 4,
      endpoint: {
        kind: 'serial',
        path: '/dev/ttyUSB0',
        baudRate: 2400,
        parity: 'even',
        dataBits: 8,
        stopBits: 1,
      },
    });
    expect(wm).toMatchObject({ protocol: 'cjt188', meterType: 16, endpoint: { kind: 'tcp', port: 4001 } });
    expect(aq).toMatchObject({
      protocol: 'hj212',
      mn: '88888880000001',
      password: 'pw123',
      tzOffsetMinutes: 420,
    });
  });

  it('names what is missing or clashing, each at its line', () => {
    expect(
      problems(`  - { id: a, profile: dlt645-single-phase-meter, endpoint: "dlt645-tcp://10.0.0.9:4001" }
  - { id: b, profile: dlt645-single-phase-meter, endpoint: "dlt645-tcp://10.0.0.9:4001", dlt645: { address: "000000000001" } }
  - { id: c, profile: dlt645-single-phase-meter, endpoint: "dlt645-tcp://10.0.0.9:4001", dlt645: { address: "000000000001" } }
  - { id: d, profile: dlt645-single-phase-meter, endpoint: "dlt645-tcp://10.0.0.9:4001", dlt645: { address: "12345" } }
  - { id: e, profile: cjt188-water-meter, endpoint: "dlt645-tcp://10.0.0.9:4002", dlt645: { address: "000000000002" } }
  - { id: f, profile: dlt645-single-phase-meter, endpoint: "dlt645-tcp://10.0.0.9:4003", unitId: 3, dlt645: { address: "000000000003" } }
`),
    ).toEqual([
      '7: devices[3].dlt645.address: expected a string matching ^[0-9]{12}$ (meter number (表号): 12 digits as on the nameplate, e.g. 000000000161), got "12345"',
      '4: devices[0]: a DL/T 645 meter needs dlt645: { address: <its 12-digit meter number> }',
      '6: devices[2].dlt645.address: meter address 000000000001 is already used on this line by devices[1]',
      '8: devices[4].endpoint: scheme dlt645-tcp cannot serve profile "cjt188-water-meter" (protocol cjt188)',
      '9: devices[5].unitId: for modbus devices, but the endpoint dlt645-tcp:// is dlt645',
    ]);
  });

  it('one serial port carries one protocol at one speed', () => {
    expect(
      problems(`  - { id: a, profile: dlt645-single-phase-meter, endpoint: "dlt645:///dev/ttyS1", dlt645: { address: "000000000001" } }
  - { id: b, profile: dlt645-single-phase-meter, endpoint: "dlt645:///dev/ttyS1?baud=9600", dlt645: { address: "000000000002" } }
  - { id: c, profile: cjt188-water-meter, endpoint: "cjt188:///dev/ttyS1", cjt188: { address: "00000000000003" } }
  - { id: d, profile: eastron-sdm120, endpoint: "modbus-rtu:///dev/ttyS1?baud=2400&parity=E", unitId: 4 }
`),
    ).toEqual([
      '5: devices[1].endpoint: line settings differ from devices[0] on the same line (dlt645 2400/even/8/1)',
      '6: devices[2].endpoint: line settings differ from devices[0] on the same line (dlt645 2400/even/8/1)',
      '7: devices[3].endpoint: line settings differ from devices[0] on the same line (dlt645 2400/even/8/1)',
    ]);
  });

  it('HJ 212: MN unique per listener; a password written inline is warned about, never shown', () => {
    const text = `${head}  - { id: a, profile: hj212-air-quality-station, endpoint: "hj212://0.0.0.0:9100", hj212: { mn: "MN1", password: "inline-pw" } }
  - { id: b, profile: hj212-water-quality-station, endpoint: "hj212://0.0.0.0:9100", hj212: { mn: "MN1", password: "\${ENV:B_PW}" } }
  - { id: c, profile: hj212-water-quality-station, endpoint: "hj212://0.0.0.0:9100", hj212: { mn: "MN2", password: "\${ENV:C_PW}" } }
`;
    const r = parseConfig(text, 'gw.yaml', { env: { B_PW: 'b', C_PW: 'c' } });
    expect(r.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'devices[1].hj212.mn: MN MN1 is already used on this line by devices[0]',
    ]);
    expect(r.warnings.map((w) => w.path)).toEqual(['devices[0].hj212.password']);
    expect(JSON.stringify(r.warnings)).not.toContain('inline-pw');
    expect(
      problems(
        '  - { id: a, profile: hj212-air-quality-station, endpoint: "hj212://0.0.0.0:9100", hj212: { mn: "M", password: "${ENV:NOPE}" } }\n',
      ),
    ).toEqual(['4: devices[0].hj212.password: environment variable NOPE is not set']);
    const long = problems(
      '  - { id: a, profile: hj212-air-quality-station, endpoint: "hj212://0.0.0.0:9100", hj212: { mn: "M", password: "${ENV:LONG}" } }\n',
      { LONG: 'much-too-long-secret' },
    );
    expect(long).toEqual([
      '4: devices[0].hj212.password: an HJ 212 PW is 1 to 9 printable ASCII characters without spaces (HJ 212-2017 §6.3.2)',
    ]);
  });

  it('endpoints: schemes, defaults and refusals', () => {
    expect(parseEndpoint('dlt645:///dev/ttyUSB0?baud=1200&parity=N')).toMatchObject({
      scheme: 'dlt645',
      baudRate: 1200,
      parity: 'none',
    });
    expect(parseEndpoint('cjt188:///dev/ttyUSB0', 2400)).toMatchObject({ parity: 'even', baudRate: 2400 });
    expect(parseEndpoint('hj212://0.0.0.0:9100')).toMatchObject({
      scheme: 'hj212',
      host: '0.0.0.0',
      port: 9100,
    });
    expect(() => parseEndpoint('hj212://0.0.0.0')).toThrow(/port/);
    expect(() => parseEndpoint('dlt645-tcp://u:secret@gw:4001')).toThrow(/credentials do not belong/);
    expect(() => parseEndpoint('dlt645:///dev/ttyUSB0?speed=2400')).toThrow(/unknown option "speed"/);
  });
});

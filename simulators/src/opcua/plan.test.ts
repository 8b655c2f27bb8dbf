import type { Profile } from '@ganzhi/device-profiles';
import { describe, expect, it } from 'vitest';
import type { SimPointSource } from '../device/source.js';
import { parseOpcuaNodeId, simNodeId } from './node-ids.js';
import { folderKey, planAddressSpace } from './plan.js';
import { startOpcuaServer } from './start.js';

const profile = (points: Profile['points'], extra: Partial<Profile> = {}): Profile => ({
  id: 'p',
  version: '1.0.0',
  manufacturer: 'm',
  model: 'x',
  description: '',
  source: { document: 'd' },
  measurement: 'm',
  protocol: 'opcua',
  points,
  ...extra,
});
const dev = (id: string, p: Profile): SimPointSource => ({ id, profile: p, sample: () => undefined });
const pt = (name: string, nodeId: string) => ({ name, unit: '1', type: 'float' as const, opcua: { nodeId } });

describe('OPC-UA address-space plan', () => {
  it('gives each device instance its own namespace and folders from the dotted s= id', () => {
    const p = profile([pt('a', 'nsu=urn:x;s=P1.M.Speed'), pt('b', 'nsu=urn:x;i=7')]);
    const [d1, d2] = planAddressSpace([dev('d1', p), dev('d2', p)]);
    expect(d1?.variables.map((v) => [v.namespaceUri, v.identifier, v.folders, v.browseName])).toEqual([
      ['urn:x/d1', 's=P1.M.Speed', ['P1', 'M'], 'Speed'],
      ['urn:x/d1', 'i=7', [], 'b'],
    ]);
    expect(d2?.variables[0]?.namespaceUri).toBe('urn:x/d2');
    expect([...(d1?.folders.values() ?? [])].map((f) => [f.identifier, f.browseName])).toEqual([
      ['s=P1', 'P1'],
      ['s=P1.M', 'M'],
    ]);
    expect(d1?.folders.get(folderKey('urn:x/d1', ['P1', 'M']))?.parent).toBe(folderKey('urn:x/d1', ['P1']));
    expect(d1?.identifier).toBe('s=d1');
  });

  it('moves a folder id out of the way of a point that uses it', () => {
    const p = profile([pt('a', 'nsu=urn:x;s=P1.Flow'), pt('b', 'nsu=urn:x;s=d1')]);
    const [d1] = planAddressSpace([dev('d1', p)]);
    expect(d1?.identifier).toBe('s=d1#2');
  });

  it('serves ns= ids in the namespace of the profile, or urn:ganzhi:sim:<profile id>', () => {
    const withUri = profile([pt('a', 'ns=2;s=A')], { opcua: { namespaceUri: 'urn:y' } });
    expect(simNodeId(dev('d', withUri), 'a')).toBe('nsu=urn:y/d;s=A');
    const without = profile([pt('a', 'ns=2;i=5')]);
    expect(simNodeId(dev('d', without), 'a')).toBe('nsu=urn:ganzhi:sim:p/d;i=5');
  });

  it('reports every problem at once', () => {
    const p = profile([pt('a', 'nsu=urn:x;s=A'), pt('b', 'nsu=urn:x;s=A'), pt('c', 'nsu=urn:x;s=A.B')]);
    const modbusOnly = profile([
      { name: 'v', unit: 'V', type: 'float', modbus: { table: 'holding', address: 0, type: 'float32' } },
    ]);
    let err: (Error & { code?: string }) | undefined;
    try {
      planAddressSpace([dev('d1', p), dev('d1', p), dev('m', modbusOnly)]);
    } catch (e) {
      err = e as Error & { code?: string };
    }
    expect(err?.code).toBe('GZ_SIM_OPCUA_CONFIG');
    expect(err?.message).toContain('duplicate device id "d1"');
    expect(err?.message).toContain('point b: node id nsu=urn:x;s=A is also used by point a');
    expect(err?.message).toContain('point a: node id nsu=urn:x;s=A is both a variable and a folder');
    expect(err?.message).toContain('(m): profile p has no OPC-UA points');
  });

  it('refuses bad options before loading node-opcua', async () => {
    const p = profile([pt('a', 'nsu=urn:x;s=A')]);
    await expect(
      startOpcuaServer({
        port: 70000,
        devices: [dev('d', p)],
        pkiDir: '',
        security: { modes: [], allowAnonymous: false },
      }),
    ).rejects.toMatchObject({
      code: 'GZ_SIM_OPCUA_CONFIG',
      message: expect.stringMatching(
        /port: 70000[\s\S]*pkiDir[\s\S]*security.modes: empty[\s\S]*nobody could connect/,
      ),
    });
    await expect(
      startOpcuaServer({
        port: 0,
        devices: [dev('d', p)],
        pkiDir: '/nonexistent',
        security: { userCertificates: ['MIIB... (a DER dump, not PEM)'] },
      }),
    ).rejects.toMatchObject({
      code: 'GZ_SIM_OPCUA_CONFIG',
      message: expect.stringContaining('security.userCertificates[0]: not a PEM certificate'),
    });
    expect(() => simNodeId(dev('d', p), 'nope')).toThrow(
      expect.objectContaining({ code: 'GZ_SIM_OPCUA_POINT' }),
    );
  });

  it('parses node ids in both forms', () => {
    expect(parseOpcuaNodeId('nsu=urn:a:b;s=X.Y')).toEqual({
      namespaceUri: 'urn:a:b',
      identifierType: 's',
      identifier: 'X.Y',
    });
    expect(parseOpcuaNodeId('ns=3;i=42')).toEqual({
      namespaceIndex: 3,
      identifierType: 'i',
      identifier: '42',
    });
    expect(parseOpcuaNodeId('s=X')).toBeUndefined();
  });
});

/**
 * A scenario's OPC-UA devices through the simulator core: values a real node-opcua client
 * reads equal the ground truth, and a `status` fault reaches the client as Uncertain.
 */
import { ProfileRegistry } from '@ganzhi/device-profiles';
import { AttributeIds } from 'node-opcua';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, waitFor } from '../../test-support/process.js';
import { simNodeId } from '../src/opcua/index.js';
import { parseScenario } from '../src/scenario/load.js';
import { Simulation } from '../src/scenario/simulation.js';
import { opcuaProfile } from './fixtures/profiles.js';
import { connectClient, resolveNsu, type TestClient } from './opcua-client.js';

describe('scenario with an OPC-UA device', () => {
  let sim: Simulation;
  let client: TestClient;
  const pki = tempDir('ganzhi-sim-ua-');
  beforeAll(async () => {
    const yaml = `
opcua: { pkiDir: ${pki}/server, modes: [None], tickMs: 100 }
devices:
  - id: ps-01
    profile: test-pump
    endpoint: { protocol: opcua, port: 0 }
    signals:
      flow: { kind: constant, value: 12.25 }
      starts: { kind: counter, start: 7, ratePerSecond: 0 }
    faults:
      - { id: unsure, kind: status, status: uncertain, points: [running] }
`;
    const { loaded, problems } = parseScenario(yaml, 'ua.yaml', {
      registry: ProfileRegistry.of([opcuaProfile]),
    });
    expect(problems).toEqual([]);
    sim = await Simulation.start({ loaded: loaded! });
    client = await connectClient(sim.endpoints()[0]!.url!, pki);
  }, 60_000);
  afterAll(async () => {
    await client?.close();
    await sim?.stop();
  });

  it('reads the ground truth; served counts grow with the ticks; status faults show', async () => {
    const d = sim.devices.get('ps-01')!;
    const read = async (point: string) =>
      client.session.read({
        nodeId: await resolveNsu(client.session, simNodeId(d, point)),
        attributeId: AttributeIds.Value,
      });
    const flow = await read('flow');
    expect(flow.value.value).toBe(d.truth().flow!.last!.value);
    expect(flow.value.value).toBe(12.25);
    expect((await read('starts')).value.value).toBe(7);
    const running = await read('running');
    expect(running.statusCode.name.startsWith('Uncertain')).toBe(true);
    const before = d.truth().flow!.served;
    await waitFor('more samples', () => (d.truth().flow!.served > before + 2 ? true : undefined), 5000);
    expect(d.truth().running!.last!.status).toBe('uncertain');
  });
});

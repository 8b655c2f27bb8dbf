/**
 * The gateway side of the fleet-config tests (issue 16): the simulated meters it polls and
 * the agent config document it starts from (or is pushed).
 */
import { join } from 'node:path';
import { parseScenario, Simulation } from '@ganzhi/simulators';

/** Eastron SDM120 meters em-1, em-2, … on Modbus TCP (any port), at these unit ids. */
export async function startMeters(dir: string, seed: number, units: number[]): Promise<Simulation> {
  const devices = units.map(
    (unit, i) =>
      `  - { id: em-${i + 1}, profile: eastron-sdm120, endpoint: { protocol: modbus-tcp, port: 0 }, unit: ${unit} }\n`,
  );
  const { loaded, problems } = parseScenario(
    `seed: ${seed}\ndevices:\n${devices.join('')}`,
    join(dir, 'scenario.yaml'),
  );
  if (!loaded) throw new Error(JSON.stringify(problems));
  return Simulation.start({ loaded, anyPort: true });
}

/**
 * An agent config with one device, meter-1: the simulator's em-1 (unit 5), polled every
 * `pollIntervalMs`; delivering to `url` as the gateway user, its password the reference
 * `${ENV:<passwordEnv>}`, with fast reconnects (and `mqtt` added to the MQTT section) and no
 * fsync; state in ./state.
 */
export function meterAgentConfig(o: {
  district: string;
  gateway: string;
  sim: Simulation;
  url: string;
  passwordEnv: string;
  pollIntervalMs: number;
  mqtt?: Record<string, unknown>;
  http: Record<string, unknown>;
}): Record<string, unknown> {
  return {
    gateway: o.gateway,
    district: o.district,
    stateDir: './state',
    devices: [
      {
        id: 'meter-1',
        profile: 'eastron-sdm120',
        endpoint: `modbus-tcp://${o.sim.describe('em-1')?.address}`,
        unitId: 5,
        pollIntervalMs: o.pollIntervalMs,
      },
    ],
    delivery: {
      mqtt: {
        url: o.url,
        username: o.gateway,
        password: `\${ENV:${o.passwordEnv}}`,
        reconnect: { initialMs: 50, maxMs: 300 },
        ...o.mqtt,
      },
      buffer: { fsync: 'never' },
    },
    http: o.http,
  };
}

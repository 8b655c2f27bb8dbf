/**
 * The device model of a profile: how its points depend on each other. A profile may say that
 * `voltage_avg` is the mean of the three phase voltages, that active power is V·I·PF, that
 * energy integrates power, that a pump runs exactly when its speed is above zero. Simulators
 * compute derived points from these relations (so a simulated device never contradicts
 * itself), and the plausibility check verifies stored data against them.
 *
 * A profile's top-level `relations` section holds them: `derived` maps a point to the
 * expression computing it, in a small expression language (expr-parse.ts):
 * numbers, 'strings', true/false, point and parameter names, + - * / ^, comparisons, and/or/not,
 * `c ? a : b`, and functions (avg, sum, min, max, abs, sqrt, …; integral(x) and
 * follow(x, rate) carry state over time).
 */
import { type Static, Type } from '@sinclair/typebox';

const NAME = '^[a-z][a-z0-9_]{0,62}$';

export const ModelParams = Type.Record(Type.String({ pattern: NAME }), Type.Number(), {
  description:
    'named constants the relations use (rated power, nominal speed); a simulator scenario may override them per device',
});

export const DerivedPoints = Type.Record(
  Type.String({ pattern: NAME }),
  Type.String({ minLength: 1, maxLength: 2000 }),
  {
    description:
      'point name → expression computing it from other points, params, `self` (the point’s own signal now) and `initial` (its signal at the start)',
  },
);

export const DeviceModel = Type.Object(
  {
    stepMs: Type.Optional(
      Type.Integer({
        minimum: 10,
        maximum: 3_600_000,
        description: 'time step of integral() and follow() in ms; default 1000',
      }),
    ),
    params: Type.Optional(ModelParams),
    derived: Type.Optional(DerivedPoints),
    checks: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 2000 }), {
        description:
          'invariants every consistent sample satisfies (e.g. "abs(power_l1) <= apparent_power_l1"); checked with the quantisation tolerance of both sides',
      }),
    ),
  },
  {
    additionalProperties: false,
    description:
      'how the points relate: derived points, parameters and invariants (see device-profiles/README.md)',
  },
);
export type DeviceModel = Static<typeof DeviceModel>;

/**
 * Signal specifications: how a simulated point's value changes with time. One TypeBox
 * schema validates scenario files and control-API bodies and gives the types.
 * Times are ms since the signal's origin (the scenario start), so a value is a function
 * of (spec, seed, origin, t) and can be recomputed by a test.
 */
import { type Static, Type } from '@sinclair/typebox';

const periodMs = Type.Number({ exclusiveMinimum: 0, description: 'period in ms' });
const everyMs = Type.Optional(
  Type.Number({ exclusiveMinimum: 0, description: 'a new random value every everyMs; default 1000' }),
);

export const ConstantSignal = Type.Object(
  { kind: Type.Literal('constant'), value: Type.Union([Type.Number(), Type.Boolean(), Type.String()]) },
  { additionalProperties: false },
);
export const SineSignal = Type.Object(
  {
    kind: Type.Literal('sine'),
    min: Type.Number(),
    max: Type.Number(),
    periodMs,
    phase: Type.Optional(Type.Number({ description: 'fraction of a period, 0..1' })),
  },
  { additionalProperties: false },
);
export const RampSignal = Type.Object(
  { kind: Type.Literal('ramp'), from: Type.Number(), to: Type.Number(), periodMs },
  { additionalProperties: false, description: 'sawtooth: from → to over periodMs, then again' },
);
export const SquareSignal = Type.Object(
  {
    kind: Type.Literal('square'),
    low: Type.Number(),
    high: Type.Number(),
    periodMs,
    duty: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'fraction high; default 0.5' })),
  },
  { additionalProperties: false },
);
export const StepSignal = Type.Object(
  {
    kind: Type.Literal('step'),
    steps: Type.Array(Type.Object({ atMs: Type.Number({ minimum: 0 }), value: Type.Number() }), {
      minItems: 1,
    }),
    loopMs: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'repeat the steps every loopMs' })),
  },
  { additionalProperties: false, description: 'holds each value from its atMs until the next step' },
);
export const RandomWalkSignal = Type.Object(
  {
    kind: Type.Literal('random-walk'),
    start: Type.Number(),
    step: Type.Number({ minimum: 0, description: 'largest change per tick' }),
    min: Type.Optional(Type.Number()),
    max: Type.Optional(Type.Number()),
    everyMs,
  },
  { additionalProperties: false },
);
export const NoiseSignal = Type.Object(
  {
    kind: Type.Literal('noise'),
    mean: Type.Number(),
    amplitude: Type.Number({ minimum: 0, description: 'uniform in mean ± amplitude' }),
    everyMs,
  },
  { additionalProperties: false },
);
export const CounterSignal = Type.Object(
  {
    kind: Type.Literal('counter'),
    start: Type.Number(),
    ratePerSecond: Type.Number({ minimum: 0 }),
    jitter: Type.Optional(
      Type.Number({ minimum: 0, maximum: 1, description: 'relative randomness of each increment' }),
    ),
    everyMs,
  },
  { additionalProperties: false, description: 'only rises (energy and volume totals)' },
);
export const ReplaySignal = Type.Object(
  {
    kind: Type.Literal('replay'),
    file: Type.Optional(Type.String({ description: 'CSV file, relative to the scenario file' })),
    csv: Type.Optional(Type.String({ description: 'inline CSV text instead of a file' })),
    column: Type.Union([Type.String(), Type.Integer({ minimum: 1 })], {
      description: 'value column (header name or 1-based index after the time column)',
    }),
    loop: Type.Optional(Type.Boolean({ description: 'default true; else hold the last row' })),
  },
  {
    additionalProperties: false,
    description: 'CSV with a header; first column offset_ms since the start, then value columns',
  },
);

export const SignalSpec = Type.Union([
  ConstantSignal,
  SineSignal,
  RampSignal,
  SquareSignal,
  StepSignal,
  RandomWalkSignal,
  NoiseSignal,
  CounterSignal,
  ReplaySignal,
]);
export type SignalSpec = Static<typeof SignalSpec>;
export type SignalKind = SignalSpec['kind'];

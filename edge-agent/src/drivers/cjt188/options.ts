/**
 * What a CJ/T 188 meter adds to its config entry (`cjt188: { address, meterType, preamble }`)
 * and to its device spec. TypeBox only: the config schema and `validate` import this.
 */
import { type Static, Type } from '@sinclair/typebox';
import type { DeviceSpecBase } from '../driver.js';
import type { Cjt188Endpoint } from './endpoint.js';

export const Cjt188Options = Type.Object(
  {
    address: Type.String({
      pattern: '^[0-9]{14}$',
      description: 'meter address: 14 digits as printed on the meter, e.g. 78330011223344',
    }),
    meterType: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 255,
        description:
          'meter type byte T when the meter differs from its profile: 16 (10h) cold water, 17 hot water, 32 (20h) heat, 33 cooling, 48 (30h) gas',
      }),
    ),
    preamble: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 4,
        description: 'FE wake-up bytes sent before each request; default 2',
      }),
    ),
  },
  { additionalProperties: false, description: 'CJ/T 188 meter on a bus' },
);
export type Cjt188Options = Static<typeof Cjt188Options>;

export const CJT188_DEVICE_FIELDS = { cjt188: Type.Optional(Cjt188Options) };

export const CJT188_DEFAULT_PREAMBLE = 2;

export interface Cjt188DeviceSpec extends DeviceSpecBase {
  protocol: 'cjt188';
  endpoint: Cjt188Endpoint;
  /** 14 digits, most significant first */
  address: string;
  meterType: number;
  preamble: number;
}

/**
 * What a DL/T 645 meter adds to its config entry (`dlt645: { address, preamble }`) and to its
 * device spec. TypeBox only: the config schema and `validate` import this.
 */
import { type Static, Type } from '@sinclair/typebox';
import type { DeviceSpecBase } from '../driver.js';
import type { Dlt645Endpoint } from './endpoint.js';

export const Dlt645Options = Type.Object(
  {
    address: Type.String({
      pattern: '^[0-9]{12}$',
      description: 'meter number (表号): 12 digits as on the nameplate, e.g. 000000000161',
    }),
    preamble: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 4,
        description: 'FE wake-up bytes sent before each request (DL/T 645-2007 §4.2); default 4',
      }),
    ),
  },
  { additionalProperties: false, description: 'DL/T 645 meter on a bus' },
);
export type Dlt645Options = Static<typeof Dlt645Options>;

export const DLT645_DEVICE_FIELDS = { dlt645: Type.Optional(Dlt645Options) };

export const DLT645_DEFAULT_PREAMBLE = 4;

export interface Dlt645DeviceSpec extends DeviceSpecBase {
  protocol: 'dlt645';
  endpoint: Dlt645Endpoint;
  /** 12 digits, most significant first */
  address: string;
  preamble: number;
}

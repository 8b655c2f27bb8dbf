/**
 * What an HJ 212 data logger adds to its config entry (`hj212: { mn, password, … }`) and to its
 * device spec. TypeBox only: the config schema and `validate` import this.
 */
import { type Static, Type } from '@sinclair/typebox';
import type { DeviceSpecBase } from '../driver.js';
import type { Hj212Endpoint } from './endpoint.js';

export const UTC_OFFSET_PATTERN = '^[+-](0\\d|1[0-4]):[0-5]\\d$';

export const Hj212Options = Type.Object(
  {
    mn: Type.String({
      pattern: '^[0-9A-Za-z._-]{1,27}$',
      description: 'the logger’s MN (设备唯一标识 / 监测点编号), unique per listener',
    }),
    password: Type.String({
      minLength: 1,
      description:
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the description shows the reference syntax
        'the logger’s PW (访问密码): every packet must carry it. A secret: use ${ENV:NAME} or ${FILE:/path}',
    }),
    utcOffset: Type.Optional(
      Type.String({
        pattern: UTC_OFFSET_PATTERN,
        description: 'the time zone of the logger’s DataTime, e.g. +08:00 (China Standard Time, the default)',
      }),
    ),
    maxClockSkewMs: Type.Optional(
      Type.Integer({
        minimum: 0,
        description:
          'a DataTime further than this ahead of the gateway clock makes its values uncertain ("clock"); default 300000',
      }),
    ),
  },
  { additionalProperties: false, description: 'HJ 212 data logger connecting to this gateway' },
);
export type Hj212Options = Static<typeof Hj212Options>;

export const HJ212_DEVICE_FIELDS = { hj212: Type.Optional(Hj212Options) };

/** HJ 212-2017 §6.3.2: PW has at most 9 characters, printable ASCII. */
export const HJ212_PASSWORD_PATTERN = /^[\x21-\x7e]{1,9}$/;

export const HJ212_DEFAULT_UTC_OFFSET = '+08:00';
export const HJ212_DEFAULT_MAX_SKEW_MS = 300_000;

/** `+08:00` → 480 (minutes east of UTC). */
export function utcOffsetMinutes(text: string): number {
  const m = /^([+-])(\d{2}):(\d{2})$/.exec(text);
  if (!m) return 480;
  const v = Number(m[2]) * 60 + Number(m[3]);
  return m[1] === '-' ? -v : v;
}

export interface Hj212DeviceSpec extends DeviceSpecBase {
  protocol: 'hj212';
  endpoint: Hj212Endpoint;
  mn: string;
  /** the logger's PW: a secret, never logged */
  password: string;
  /** minutes east of UTC of the logger's DataTime */
  tzOffsetMinutes: number;
  maxClockSkewMs: number;
}

/**
 * HJ 212-2017 data loggers (数采仪) that connect to the gateway over TCP and push their data:
 * one protocol module (see ../protocol.ts). Loggers on one listener share it, told apart by MN;
 * each packet must carry the logger's MN and PW.
 */
import { AgentError } from '../../errors.js';
import type { ProtocolModule } from '../protocol.js';
import { HJ212_SCHEMES, type Hj212Endpoint, hj212LineKey, parseHj212Endpoint } from './endpoint.js';
import {
  HJ212_DEFAULT_MAX_SKEW_MS,
  HJ212_DEFAULT_UTC_OFFSET,
  HJ212_DEVICE_FIELDS,
  HJ212_PASSWORD_PATTERN,
  type Hj212DeviceSpec,
  utcOffsetMinutes,
} from './options.js';

export const hj212Protocol: ProtocolModule<Hj212DeviceSpec, Hj212Endpoint, typeof HJ212_DEVICE_FIELDS> = {
  protocol: 'hj212',
  schemes: HJ212_SCHEMES,
  deviceFields: HJ212_DEVICE_FIELDS,
  parseEndpoint: (url) => parseHj212Endpoint(url),
  lineKey: hj212LineKey,
  lineClaim(e, fields) {
    return {
      key: hj212LineKey(e),
      mode: 'shared',
      settings: 'hj212',
      ...(fields.hj212
        ? { unit: { value: fields.hj212.mn, key: 'hj212', path: ['hj212', 'mn'], label: 'MN' } }
        : {}),
    };
  },
  problems(fields) {
    if (!fields.hj212) {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the message shows the reference syntax
      return [{ path: [], message: 'an HJ 212 logger needs hj212: { mn: <its MN>, password: ${ENV:…} }' }];
    }
    // checked on the resolved secret (never shown): a logger cannot send a longer PW
    const pw = fields.hj212.password;
    return pw === '' || HJ212_PASSWORD_PATTERN.test(pw)
      ? []
      : [
          {
            path: ['hj212', 'password'],
            message: 'an HJ 212 PW is 1 to 9 printable ASCII characters without spaces (HJ 212-2017 §6.3.2)',
          },
        ];
  },
  resolve(base, endpoint, fields) {
    const o = fields.hj212;
    if (!o) throw new AgentError('GZ_AGENT_CONFIG_INVALID', `${base.id}: hj212.mn is missing`);
    return {
      ...base,
      protocol: 'hj212',
      endpoint,
      mn: o.mn,
      password: o.password,
      tzOffsetMinutes: utcOffsetMinutes(o.utcOffset ?? HJ212_DEFAULT_UTC_OFFSET),
      maxClockSkewMs: o.maxClockSkewMs ?? HJ212_DEFAULT_MAX_SKEW_MS,
    };
  },
  load: async () => {
    const { createHj212Driver } = await import('./index.js');
    return { create: createHj212Driver };
  },
};

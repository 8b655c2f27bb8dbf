/**
 * CJ/T 188 water, heat and gas meters on a bus, directly or through a serial device server:
 * one protocol module (see ../protocol.ts). Meters on one bus share it, told apart by their
 * 14-digit address; the bus settings must agree.
 */
import { AgentError } from '../../errors.js';
import { meterBusSettings } from '../meter-bus/bus-endpoint.js';
import type { ProtocolModule } from '../protocol.js';
import { CJT188_SCHEMES, type Cjt188Endpoint, cjt188LineKey, parseCjt188Endpoint } from './endpoint.js';
import { CJT188_DEFAULT_PREAMBLE, CJT188_DEVICE_FIELDS, type Cjt188DeviceSpec } from './options.js';

export const cjt188Protocol: ProtocolModule<Cjt188DeviceSpec, Cjt188Endpoint, typeof CJT188_DEVICE_FIELDS> = {
  protocol: 'cjt188',
  schemes: CJT188_SCHEMES,
  deviceFields: CJT188_DEVICE_FIELDS,
  parseEndpoint: parseCjt188Endpoint,
  lineKey: cjt188LineKey,
  lineClaim(e, fields) {
    return {
      key: cjt188LineKey(e),
      mode: 'shared',
      settings: meterBusSettings('cjt188', e),
      ...(fields.cjt188
        ? {
            unit: {
              value: fields.cjt188.address,
              key: 'cjt188',
              path: ['cjt188', 'address'],
              label: 'meter address',
            },
          }
        : {}),
    };
  },
  problems: (fields) =>
    fields.cjt188
      ? []
      : [{ path: [], message: 'a CJ/T 188 meter needs cjt188: { address: <its 14-digit address> }' }],
  resolve(base, endpoint, fields) {
    const o = fields.cjt188;
    const meterType = o?.meterType ?? base.profile.cjt188?.meterType;
    if (!o || meterType === undefined) {
      throw new AgentError(
        'GZ_AGENT_CONFIG_INVALID',
        `${base.id}: cjt188.address or the meter type is missing`,
      );
    }
    return {
      ...base,
      protocol: 'cjt188',
      endpoint,
      address: o.address,
      meterType,
      preamble: o.preamble ?? CJT188_DEFAULT_PREAMBLE,
    };
  },
  load: async () => {
    const { createCjt188Driver } = await import('./index.js');
    return { create: createCjt188Driver };
  },
};

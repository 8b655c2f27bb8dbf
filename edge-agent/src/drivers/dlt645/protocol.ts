/**
 * DL/T 645-2007 (and -1997) electricity meters on an RS-485 bus, directly or through a serial
 * device server: one protocol module (see ../protocol.ts). Meters on one bus share it, told
 * apart by their 12-digit address; the bus settings must agree.
 */
import { AgentError } from '../../errors.js';
import { meterBusSettings } from '../meter-bus/bus-endpoint.js';
import type { ProtocolModule } from '../protocol.js';
import { DLT645_SCHEMES, type Dlt645Endpoint, dlt645LineKey, parseDlt645Endpoint } from './endpoint.js';
import { DLT645_DEFAULT_PREAMBLE, DLT645_DEVICE_FIELDS, type Dlt645DeviceSpec } from './options.js';

export const dlt645Protocol: ProtocolModule<Dlt645DeviceSpec, Dlt645Endpoint, typeof DLT645_DEVICE_FIELDS> = {
  protocol: 'dlt645',
  schemes: DLT645_SCHEMES,
  deviceFields: DLT645_DEVICE_FIELDS,
  parseEndpoint: parseDlt645Endpoint,
  lineKey: dlt645LineKey,
  lineClaim(e, fields) {
    return {
      key: dlt645LineKey(e),
      mode: 'shared',
      settings: meterBusSettings('dlt645', e),
      ...(fields.dlt645
        ? {
            unit: {
              value: fields.dlt645.address,
              key: 'dlt645',
              path: ['dlt645', 'address'],
              label: 'meter address',
            },
          }
        : {}),
    };
  },
  problems: (fields) =>
    fields.dlt645
      ? []
      : [{ path: [], message: 'a DL/T 645 meter needs dlt645: { address: <its 12-digit meter number> }' }],
  resolve(base, endpoint, fields) {
    const o = fields.dlt645;
    if (!o) throw new AgentError('GZ_AGENT_CONFIG_INVALID', `${base.id}: dlt645.address is missing`);
    return {
      ...base,
      protocol: 'dlt645',
      endpoint,
      address: o.address,
      preamble: o.preamble ?? DLT645_DEFAULT_PREAMBLE,
    };
  },
  load: async () => {
    const { createDlt645Driver } = await import('./index.js');
    return { create: createDlt645Driver };
  },
};

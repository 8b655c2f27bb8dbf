/**
 * Modbus TCP, RTU and RTU over TCP: one protocol module (see ../protocol.ts). Devices on one
 * RS-485 line or one RTU-over-TCP socket share it: their line settings must agree and their unit
 * ids differ. The profile's read-plan settings may be overridden per device (`modbus:`).
 */
import type { ProtocolModule } from '../protocol.js';
import { MODBUS_SCHEMES, type ModbusEndpoint, modbusLineKey, parseModbusEndpoint } from './endpoint.js';
import { MODBUS_DEFAULT_UNIT_ID, MODBUS_DEVICE_FIELDS, type ModbusDeviceSpec } from './options.js';

export const modbusProtocol: ProtocolModule<ModbusDeviceSpec, ModbusEndpoint, typeof MODBUS_DEVICE_FIELDS> = {
  protocol: 'modbus',
  schemes: MODBUS_SCHEMES,
  deviceFields: MODBUS_DEVICE_FIELDS,
  parseEndpoint: parseModbusEndpoint,
  lineKey: modbusLineKey,
  lineClaim(e, fields) {
    // Modbus TCP devices share a connection per host:port too, but are not checked: on TCP the
    // server is addressed by its IP address and many devices ignore the unit identifier.
    if (e.scheme === 'modbus-tcp') return undefined;
    return {
      key: modbusLineKey(e),
      mode: 'shared',
      settings: e.scheme === 'modbus-rtu' ? `${e.baudRate}/${e.parity}/${e.dataBits}/${e.stopBits}` : '',
      unit: { value: fields.unitId ?? MODBUS_DEFAULT_UNIT_ID, key: 'unitId' },
    };
  },
  resolve(base, endpoint, fields) {
    const profile = { ...base.profile, modbus: { ...base.profile.modbus, ...fields.modbus } };
    return {
      ...base,
      protocol: 'modbus',
      profile,
      endpoint,
      unitId: fields.unitId ?? MODBUS_DEFAULT_UNIT_ID,
    };
  },
  load: async () => {
    const { createModbusDriver } = await import('./index.js');
    return { create: createModbusDriver };
  },
};

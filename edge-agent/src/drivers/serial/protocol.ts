/**
 * Talking serial devices (NMEA GPS, ASCII weather stations): one protocol module (see
 * ../protocol.ts). Such a device owns its line: nothing else may be configured on it.
 */
import type { DeviceSpecBase } from '../driver.js';
import type { ProtocolModule } from '../protocol.js';
import {
  parseSerialEndpoint,
  SERIAL_SCHEMES,
  type SerialEndpoint,
  serialEndpointLineKey,
} from './endpoint.js';

export interface SerialDeviceSpec extends DeviceSpecBase {
  protocol: 'serial';
  endpoint: SerialEndpoint;
}

export const serialProtocol: ProtocolModule<SerialDeviceSpec, SerialEndpoint, Record<never, never>> = {
  protocol: 'serial',
  schemes: SERIAL_SCHEMES,
  deviceFields: {},
  parseEndpoint: parseSerialEndpoint,
  lineKey: serialEndpointLineKey,
  lineClaim: (e) => ({ key: serialEndpointLineKey(e), mode: 'exclusive' }),
  resolve: (base, endpoint) => ({ ...base, protocol: 'serial', endpoint }),
  load: async () => {
    const { createSerialDriver } = await import('./index.js');
    return { create: createSerialDriver };
  },
};

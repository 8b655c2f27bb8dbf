/**
 * What a talking serial device adds to its device spec: nothing beyond its endpoint (the
 * framing and checksum come from the profile). Light: imported by the protocol table.
 */
import type { DeviceSpecBase } from '../driver.js';
import type { SerialEndpoint } from './endpoint.js';

/** The config keys a serial device entry may carry besides the common ones: none. */
export const SERIAL_DEVICE_FIELDS = {};

export interface SerialDeviceSpec extends DeviceSpecBase {
  protocol: 'serial';
  endpoint: SerialEndpoint;
}

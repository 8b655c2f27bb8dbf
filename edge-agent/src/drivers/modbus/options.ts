/**
 * What a Modbus device adds to its config entry (`unitId`, `modbus`) and to its device spec.
 * TypeBox only: the config schema and `validate` import this without loading modbus-serial.
 */
import { type Static, Type } from '@sinclair/typebox';
import type { DeviceSpecBase } from '../driver.js';
import type { ModbusEndpoint } from './endpoint.js';

const ByteOrder = (description?: string) =>
  Type.Union(
    [Type.Literal('ABCD'), Type.Literal('BADC'), Type.Literal('CDAB'), Type.Literal('DCBA')],
    description ? { description } : {},
  );

export const ModbusOverride = Type.Object(
  {
    maxRegistersPerRead: Type.Optional(Type.Integer({ minimum: 1, maximum: 125 })),
    maxBitsPerRead: Type.Optional(Type.Integer({ minimum: 1, maximum: 2000 })),
    maxGap: Type.Optional(Type.Integer({ minimum: 0 })),
    defaultOrder: Type.Optional(ByteOrder()),
    writeMultiple: Type.Optional(
      Type.Boolean({
        description: 'write single coils/registers with function 15/16 (devices that refuse 5/6)',
      }),
    ),
  },
  { additionalProperties: false, description: 'overrides of the profile’s Modbus read-plan settings' },
);

/** The config keys a Modbus device entry may carry. */
export const MODBUS_DEVICE_FIELDS = {
  unitId: Type.Optional(
    Type.Integer({ minimum: 0, maximum: 255, description: 'Modbus unit (slave) id; default 1' }),
  ),
  modbus: Type.Optional(ModbusOverride),
};

export const MODBUS_DEFAULT_UNIT_ID = 1;

export type ModbusOverride = Static<typeof ModbusOverride>;

export interface ModbusDeviceSpec extends DeviceSpecBase {
  protocol: 'modbus';
  endpoint: ModbusEndpoint;
  /** the device's unit (slave) id on its line */
  unitId: number;
}

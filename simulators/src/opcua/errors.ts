/** Coded errors of the OPC-UA front-end. Messages never carry passwords or key material. */
export type SimOpcuaErrorCode =
  /** bad options (no devices, duplicate device id, a point whose node id cannot be served) */
  | 'GZ_SIM_OPCUA_CONFIG'
  /** a point name that is not an OPC-UA point of the device's profile */
  | 'GZ_SIM_OPCUA_POINT'
  /** the server could not start (port in use, PKI folder not writable, …) */
  | 'GZ_SIM_OPCUA_START';

export class SimOpcuaError extends Error {
  readonly code: SimOpcuaErrorCode;
  readonly retriable: boolean;
  constructor(code: SimOpcuaErrorCode, message: string, opts: { cause?: unknown; retriable?: boolean } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'SimOpcuaError';
    this.code = code;
    this.retriable = opts.retriable ?? false;
  }
}

/** The simulators' coded errors: one catalogue, `code` to branch on, `cause` kept. */
export type SimErrorCode =
  | 'GZ_SIM_SIGNAL'
  | 'GZ_SIM_PROFILE'
  | 'GZ_SIM_POINT'
  | 'GZ_SIM_SCENARIO'
  | 'GZ_SIM_LISTEN'
  | 'GZ_SIM_DEVICE'
  | 'GZ_SIM_FAULT'
  | 'GZ_SIM_MODEL';

export interface SimError extends Error {
  code: SimErrorCode;
}

export function simError(code: SimErrorCode, message: string, cause?: unknown): SimError {
  const err = new Error(message, cause === undefined ? undefined : { cause }) as SimError;
  err.code = code;
  return err;
}

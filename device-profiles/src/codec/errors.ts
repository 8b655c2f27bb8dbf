/**
 * Coded errors of the Modbus codec and read planner.
 *
 * Every error carries a stable `code` (tests and callers branch on it, never on the message)
 * and `retriable: false`: these are profile/configuration or programming errors, not transient
 * device faults. Messages never contain anything but point names, types and numbers.
 */
export type CodecErrorCode =
  /** a value does not fit the encoding (e.g. 70000 into uint16, 300-char string into 4 registers) */
  | 'GZ_CODEC_RANGE'
  /** a value of the wrong JS type for the encoding (e.g. a string for a float32, null, 1.5 for int16 raw) */
  | 'GZ_CODEC_TYPE'
  /** an engineering label that is not in the point's enum mapping */
  | 'GZ_CODEC_ENUM'
  /** fewer register words / bits than the binding needs */
  | 'GZ_CODEC_SHORT'
  /** the binding itself is unusable (string without length, bit without bit index) */
  | 'GZ_CODEC_BINDING'
  /** planReads was given points it cannot read (too large for the request limit, inside a forbidden range) */
  | 'GZ_PLAN_UNREADABLE';

export class CodecError extends Error {
  readonly code: CodecErrorCode;
  readonly retriable = false;
  constructor(code: CodecErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CodecError';
    this.code = code;
  }
}

export const isCodecError = (e: unknown): e is CodecError => e instanceof CodecError;

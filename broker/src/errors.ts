/** The broker's catalogue of coded errors. Messages never carry secrets (passwords, hashes). */
export type BrokerErrorCode =
  | 'GZ_BROKER_CONFIG'
  | 'GZ_BROKER_USERS'
  | 'GZ_BROKER_LISTEN'
  | 'GZ_BROKER_TLS'
  | 'GZ_BROKER_AUTH'
  | 'GZ_BROKER_ACL'
  | 'GZ_BROKER_RATE'
  | 'GZ_BROKER_LIMIT'
  | 'GZ_BROKER_PROTOCOL';

export class BrokerError extends Error {
  readonly code: BrokerErrorCode;
  readonly retriable: boolean;
  constructor(code: BrokerErrorCode, message: string, opts: { cause?: unknown; retriable?: boolean } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'BrokerError';
    this.code = code;
    this.retriable = opts.retriable ?? false;
  }
}

/**
 * The edge agent's catalogue of coded errors. Device faults never surface as these at run
 * time (they become bad-quality readings); these are for configuration and start-up.
 */
export type AgentErrorCode =
  | 'GZ_AGENT_CONFIG_INVALID'
  | 'GZ_AGENT_ENDPOINT_INVALID'
  | 'GZ_AGENT_SECRET_MISSING'
  | 'GZ_AGENT_DRIVER_UNKNOWN'
  | 'GZ_AGENT_NOT_CONNECTED'
  | 'GZ_AGENT_CLOSED';

export class AgentError extends Error {
  readonly code: AgentErrorCode;
  readonly retriable: boolean;
  constructor(code: AgentErrorCode, message: string, opts: { cause?: unknown; retriable?: boolean } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'AgentError';
    this.code = code;
    this.retriable = opts.retriable ?? false;
  }
}

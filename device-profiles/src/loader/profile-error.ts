import { formatProblem, type Problem } from '../config/problem.js';

export type ProfileErrorCode = 'GZ_PROFILE_INVALID' | 'GZ_PROFILE_UNKNOWN';

/** A coded profile error. `problems` lists every problem found (for GZ_PROFILE_INVALID). */
export class ProfileError extends Error {
  override readonly name = 'ProfileError';
  readonly retriable = false;
  constructor(
    readonly code: ProfileErrorCode,
    message: string,
    readonly problems: readonly Problem[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  static invalid(problems: readonly Problem[]): ProfileError {
    const lines = problems.map(formatProblem);
    return new ProfileError(
      'GZ_PROFILE_INVALID',
      `${problems.length} profile problem${problems.length === 1 ? '' : 's'}:\n  ${lines.join('\n  ')}`,
      problems,
    );
  }
}

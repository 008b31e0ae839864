import type { RotationError } from '../../errors.js';
import type { DatabaseSecret } from '../../credentials/parse.js';
import type { DatabaseAdapter } from '../adapters/types.js';
import type { StepOutcome } from '../context.js';
import type { RotationStrategyName } from '../types.js';

/** What setSecret hands a strategy. */
export interface SetSecretInput {
  readonly adapter: DatabaseAdapter;
  readonly current: DatabaseSecret;
  readonly pending: DatabaseSecret;
  /** AWSPREVIOUS, when there is one. */
  readPrevious(): Promise<DatabaseSecret | undefined>;
  /** AWSCURRENT of the secret named by `masterarn`, checked to name the same host. */
  readMaster(): Promise<DatabaseSecret>;
  /** Rejects with RotationInProgressError once the token no longer holds AWSPENDING. */
  stillPending(): Promise<void>;
  /** A RotationError for setSecret. */
  fail(problem: string, retryable: boolean): RotationError;
}

/** One way of changing the password: single user or alternating users. */
export interface Strategy {
  readonly name: RotationStrategyName;
  /** The username AWSPENDING must have, given AWSCURRENT. */
  pendingUsername(current: DatabaseSecret): string;
  /** Why the secret cannot be rotated this way, found before anything is written; undefined when it can. */
  problemWith(current: DatabaseSecret, adapter: DatabaseAdapter): string | undefined;
  /** Makes the database accept AWSPENDING while it still accepts AWSCURRENT or AWSPENDING at every moment. */
  setSecret(input: SetSecretInput): Promise<StepOutcome>;
}

import type { RotationError } from '../../errors.js';
import type { DatabaseSecret } from '../../credentials/parse.js';
import type { DatabaseAdapter } from '../adapters/types.js';
import type { StepOutcome } from '../step-outcome.js';
import type { RotationStrategyName } from '../types.js';

/** Where this run's token stands among the secret's stages, read just now. */
export type TokenStage = 'pending' | 'current' | 'lost';

/** The versions holding AWSCURRENT and AWSPENDING, read just now. */
export interface StagesNow {
  readonly current: DatabaseSecret | undefined;
  /** Undefined when no version holds AWSPENDING, or the one holding it has no value. */
  readonly pending: DatabaseSecret | undefined;
  /** `<AWSCURRENT holder>/<AWSPENDING holder>`: equal readings mean the stages did not move in between. */
  readonly seen: string;
}

/** What setSecret hands a strategy. */
export interface SetSecretInput {
  readonly adapter: DatabaseAdapter;
  readonly current: DatabaseSecret;
  readonly pending: DatabaseSecret;
  /** AWSPREVIOUS, when there is one. */
  readPrevious(): Promise<DatabaseSecret | undefined>;
  /** AWSCURRENT of the secret named by `masterarn`, checked to name the same host. */
  readMaster(): Promise<DatabaseSecret>;
  /** Reads the stages now (one DescribeSecret): does the token still hold AWSPENDING, or AWSCURRENT already? */
  tokenStage(): Promise<TokenStage>;
  /** The versions holding AWSCURRENT and AWSPENDING now (one DescribeSecret and their values). */
  stagesNow(): Promise<StagesNow>;
  /** The error for a token that no longer holds AWSPENDING: RotationInProgressError when another version does. */
  lost(): Promise<Error>;
  /** Waits between looks at the database (the engine's clock). */
  sleep(ms: number): Promise<void>;
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

/** What a step function returns; rotate.ts and lambda.ts add the name and the duration. */
export interface StepOutcome {
  readonly outcome: 'done' | 'skipped';
  readonly detail: string;
  /** finishSecret: the version AWSCURRENT moved away from. */
  readonly oldVersionId?: string | undefined;
}

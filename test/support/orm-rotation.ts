/**
 * One harness for "a library keeps working while the secret rotates" integration tests (the
 * ORM and mongoose integrations): rotations by credstage's own engine, one Secrets Manager step
 * at a time with the pause a Lambda has between the password change and the AWSCURRENT move,
 * while a bounded load of reads and inserts runs through the library under test.
 */
import { randomUUID } from 'node:crypto';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { runRotationStep, type RotationStrategyName } from '../../src/rotation/index.js';
import { runLoad, type LoadResult } from '../../tools/demo/load.js';

export interface LambdaStyleRotationOptions {
  client: SecretsManagerClient;
  secretId: string;
  strategy: RotationStrategyName;
  /** Wait after setSecret + testSecret, before finishSecret (a Lambda's round trips). Default 300 ms. */
  pauseMs?: number;
}

/** One rotation: createSecret → setSecret → testSecret → pause → finishSecret, each a separate step call. */
export async function lambdaStyleRotation(options: LambdaStyleRotationOptions): Promise<void> {
  const token = randomUUID();
  const step = (Step: 'createSecret' | 'setSecret' | 'testSecret' | 'finishSecret') =>
    runRotationStep(
      { SecretId: options.secretId, ClientRequestToken: token, Step },
      { secretsManager: options.client, strategy: options.strategy, selfHosted: true },
    );
  await step('createSecret');
  await step('setSecret');
  await step('testSecret');
  await new Promise((resolve) => setTimeout(resolve, options.pauseMs ?? 300));
  await step('finishSecret');
}

export interface RotationsUnderLoadOptions {
  client: SecretsManagerClient;
  secretId: string;
  /** The rotations to run, in order, e.g. five 'single-user' (the secret needs `masterarn` for 'alternating-users'). */
  strategies: readonly RotationStrategyName[];
  /** One operation of the app; `seq` is unique. Throwing counts as a failed operation. */
  op: (seq: number) => Promise<unknown>;
  /** Concurrent workers. Default 4. */
  concurrency?: number;
  /** Pause per worker between operations. Default 5 ms. */
  thinkMs?: number;
  pauseMs?: number;
  /** Hard stop for the load, whatever happens. Default 120 s. */
  maxDurationMs?: number;
}

/** Runs the rotations one after another while `op` runs under load; returns the load's result. */
export async function rotationsUnderLoad(options: RotationsUnderLoadOptions): Promise<LoadResult & { rotations: number }> {
  let rotating = true;
  let rotations = 0;
  const load = runLoad({
    concurrency: options.concurrency ?? 4,
    op: options.op,
    running: () => rotating,
    maxDurationMs: options.maxDurationMs ?? 120_000,
    thinkMs: options.thinkMs ?? 5,
  });
  try {
    for (const strategy of options.strategies) {
      await lambdaStyleRotation({ client: options.client, secretId: options.secretId, strategy, pauseMs: options.pauseMs });
      rotations++;
    }
  } finally {
    rotating = false;
  }
  return { ...(await load), rotations };
}

/**
 * Keys of acknowledged inserts, to check after the load that each is stored exactly once:
 * `record(key)` after the library acknowledged the insert, then compare with the stored counts.
 */
export class AcknowledgedInserts {
  private readonly keys = new Set<string>();

  /** A fresh key for one insert. */
  next(seq: number): string {
    return `k${seq}-${randomUUID().slice(0, 8)}`;
  }

  record(key: string): void {
    this.keys.add(key);
  }

  get size(): number {
    return this.keys.size;
  }

  /** Acknowledged keys stored other than exactly once, given the stored count per key. */
  notStoredOnce(storedCounts: ReadonlyMap<string, number>): string[] {
    return [...this.keys].filter((key) => storedCounts.get(key) !== 1);
  }

  /** Stored keys never acknowledged more than once (a duplicate write of an unacknowledged insert). */
  static duplicated(storedCounts: ReadonlyMap<string, number>): string[] {
    return [...storedCounts].filter(([, count]) => count > 1).map(([key]) => key);
  }
}

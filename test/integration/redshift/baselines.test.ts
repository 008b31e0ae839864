import { describe, expect, it } from 'vitest';
import { RefreshCurrentOnlyPool, type RefreshMode } from '../../../tools/demo/peers/postgres.js';
import type { LoadResult } from '../../../tools/demo/load.js';
import { getRedshiftPool } from '../../../src/redshift/index.js';
import type { AwsStyleRotator } from '../../support/aws-style-rotator.js';
import { CHURNING_POOL, loadDuring, singleUserSecret, sleep, useRedshiftFixtures } from './support.js';

const STALL_MS = 10_000;

const fx = useRedshiftFixtures();

/** Drives credstage and a refresh-AWSCURRENT-only client with the same load through the same rotations. */
async function sideBySide(mode: RefreshMode, rotate: (rotator: AwsStyleRotator) => Promise<void>): Promise<{ credstage: LoadResult; naive: LoadResult }> {
  const { secretId, rotator } = await singleUserSecret(fx.sm, fx.admin);
  const pool = getRedshiftPool({ secretId, secretsManager: fx.sm, poolConfig: CHURNING_POOL });
  const naive = await RefreshCurrentOnlyPool.create(fx.sm, secretId, mode, CHURNING_POOL);
  try {
    const options = { concurrency: 5, thinkMs: 10 };
    let stop: () => void = () => undefined;
    const stopped = new Promise<void>((resolve) => (stop = resolve));
    const naiveLoad = loadDuring(() => naive.query('select 1'), () => stopped, options);
    const credstageLoad = loadDuring(
      () => pool.query('select 1'),
      async () => {
        try {
          await rotate(rotator);
        } finally {
          stop();
        }
      },
      options,
    );
    return { credstage: await credstageLoad, naive: await naiveLoad };
  } finally {
    await Promise.all([pool.end(), naive.end()]);
  }
}

describe('why AWSPENDING matters: a client that only re-reads AWSCURRENT', () => {
  it('fails during the pause between ALTER ROLE and the stage move when it retries once, while credstage does not', async () => {
    const { credstage, naive } = await sideBySide({ kind: 'retry-once' }, async (rotator) => {
      for (let i = 0; i < 3; i++) await rotator.rotate({ pauseMs: 1_000 });
    });

    expect(naive.failed).toBeGreaterThan(0);
    expect(naive.failures.join('\n')).toMatch(/password authentication failed/);
    expect(credstage.failed).toBe(0);
  });

  it('blocks and then fails once a stalled rotation outlasts its budget, while credstage does not', async () => {
    const budgetMs = 3_000;
    const { credstage, naive } = await sideBySide({ kind: 'blocking', budgetMs }, async (rotator) => {
      const { token, oldVersionId } = await rotator.beginRotation();
      await sleep(STALL_MS);
      await rotator.finishRotation(token, oldVersionId);
    });

    expect(naive.failed).toBeGreaterThan(0);
    expect(Math.max(...naive.latenciesMs)).toBeGreaterThanOrEqual(budgetMs);
    expect(credstage.failed).toBe(0);
  });
});

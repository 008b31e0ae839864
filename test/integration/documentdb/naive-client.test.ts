import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { runLoad, type LoadResult } from '../../../tools/demo/load.js';
import { CHURNING_POOL, mixedWorkload, NaiveDocumentDbClient, type LoadDoc } from '../../support/documentdb-load.js';
import { singleUserRotator, sleep, userWithSecret, useDocumentDbFixtures } from './helpers.js';
import { uniqueName } from '../../support/names.js';

const DB = 'credstage_it';
const STALL_MS = 10_000;

/**
 * The comparison the rotation tests rest on, shown rather than assumed: a client that only
 * re-reads AWSCURRENT after an authentication failure cannot get through the window between
 * the password change and the stage move.
 */
describe('a client that only re-reads AWSCURRENT (FerretDB + moto)', () => {
  const fx = useDocumentDbFixtures();

  it('works without rotation, fails during 500 ms rotation pauses, and fails during a 10 s stall', async () => {
    const { secretId } = await userWithSecret(fx.sm, fx.admin);
    const naive = await NaiveDocumentDbClient.connect({ sm: fx.sm, secretId, mode: 'refresh-current', mongoClientOptions: CHURNING_POOL });
    const name = uniqueName('naive');
    const workload = mixedWorkload((fn) => naive.run((mongo) => fn(mongo.db(DB).collection<LoadDoc>(name))), randomUUID());
    const rotator = singleUserRotator(fx.sm, fx.admin, secretId);
    const phase = async (during: () => Promise<void>): Promise<LoadResult> => {
      let running = true;
      const load = runLoad({ concurrency: 4, op: workload.op, running: () => running, maxDurationMs: 30_000, thinkMs: 10 });
      await during();
      running = false;
      return load;
    };
    try {
      const quiet = await phase(() => sleep(1_000));
      const pauses = await phase(async () => {
        for (let i = 0; i < 5; i++) await rotator.rotate({ pauseMs: 500 });
        await sleep(300);
      });
      const stall = await phase(async () => {
        const { token, oldVersionId } = await rotator.beginRotation();
        await sleep(STALL_MS);
        await rotator.finishRotation(token, oldVersionId);
      });

      expect(quiet.failed).toBe(0);
      expect(quiet.ok).toBeGreaterThan(0);
      expect(pauses.failed).toBeGreaterThan(0);
      expect(stall.failed).toBeGreaterThan(0);
      expect(stall.failures.join('\n')).toMatch(/AuthenticationFailed|Authentication failed|MongoPoolClearedError/);
    } finally {
      await naive.close();
    }
  });
});

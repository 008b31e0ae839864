import { afterAll, describe, expect, it } from 'vitest';
import { loadAdapter } from '../../../src/rotation/adapters/load.js';
import type { DatabaseAdapter } from '../../../src/rotation/adapters/types.js';
import { describeViolation, exploreRandomly, phases, runStory, type Scenario, type WorldFactory } from '../../support/rotation-explorer/explore.js';
import { gatedAdapter } from '../../support/rotation-explorer/gated-adapter.js';
import pg from 'pg';
import { SecretVersion } from '../../../src/secrets-manager/secret-version.js';
import { parseRedshiftSecret } from '../../../src/credentials/parse.js';
import { asPostgresAdmin, awkwardPassword, createDbUser, logsIn, rotatableSecret, secretFor, type Engine } from './support.js';
import { uniqueName } from '../../support/names.js';
import { motoClient } from '../../support/moto.js';

/**
 * The explorer's short run against the real servers: moto's Secrets Manager, PostgreSQL (row
 * locks, transactions) and FerretDB, through credstage's own adapters. A few seeded schedules
 * per scenario; the model world in the unit tests explores thousands.
 */
const SCHEDULES = Number(process.env.CREDSTAGE_EXPLORE_REAL ?? 3);
const client = motoClient({ maxAttempts: 3 });
afterAll(() => client.destroy());

function realWorld(engine: Engine): WorldFactory {
  const adapters = new Map<string, Promise<DatabaseAdapter>>();
  const adapter = (): Promise<DatabaseAdapter> => {
    const key = engine;
    if (!adapters.has(key)) adapters.set(key, loadAdapter(engine, { connectTimeoutMs: 5_000, queryTimeoutMs: 30_000, tlsCAFile: undefined }));
    return adapters.get(key)!;
  };
  return async (scenario, controller) => {
    const { secretId } = await rotatableSecret(client, engine, scenario.strategy);
    const real = await adapter();
    return {
      sm: client,
      secretId,
      adapterFor: (run) => gatedAdapter(real, controller, run),
      accepts: (login) => logsIn(secretFor(engine, login.username, login.password)),
    };
  };
}

const CASES: ReadonlyArray<{ engine: Engine; transactional: boolean }> = [
  { engine: 'postgres', transactional: true },
  { engine: 'mongo', transactional: false },
];

describe('the rotation invariant over explored interleavings, against moto, PostgreSQL and FerretDB', () => {
  for (const { engine, transactional } of CASES) {
    for (const strategy of ['single-user', 'alternating-users'] as const) {
      const shapes: ReadonlyArray<Pick<Scenario, 'runs'> & { label: string }> = [
        { label: 'two runs sharing a token', runs: [{ name: 'A', token: 't1' }, { name: 'B', token: 't1' }] },
        { label: 'two runs with their own tokens', runs: [{ name: 'A', token: 't1' }, { name: 'B', token: 't2' }] },
        { label: 'a run that dies anywhere, and one that resumes it', runs: [{ name: 'A', crashable: true }, { name: 'B' }] },
      ];
      for (const { label, runs } of shapes) {
        const scenario: Scenario = { name: `${strategy}, ${engine}: ${label}`, strategy, transactional, runs };
        it(`holds for ${SCHEDULES} seeded schedules: ${scenario.name}`, async () => {
          const result = await exploreRandomly(scenario, SCHEDULES, 1, { world: realWorld(engine), settleQuietMs: 1_500 });

          expect(result.violations.map(describeViolation)).toEqual([]);
          expect(result.steps).toBeGreaterThan(SCHEDULES * 10);
          console.log(`explored ${scenario.name} on real servers: ${result.schedules} schedules, ${result.steps} steps`);
        });
      }
    }
  }
});

describe('what the explorer\'s PostgreSQL model assumes, checked on the real server', () => {
  it('a change inside setPasswordIf holds the user until it commits: a racing ALTER waits, then fails with "tuple concurrently updated"', async () => {
    const username = uniqueName('app_lock');
    const first = awkwardPassword();
    await createDbUser('postgres', username, first);
    const adapter = await loadAdapter('postgres', { connectTimeoutMs: 5_000, queryTimeoutMs: 30_000, tlsCAFile: undefined });
    const login = parseRedshiftSecret(new SecretVersion({ arn: undefined, name: username, versionId: 'v1', versionStages: [], createdDate: undefined }, { secretString: JSON.stringify(secretFor('postgres', username, first)) }));
    const holder = await adapter.openSession(login);
    const racer = await adapter.openSession(login);
    const second = awkwardPassword();
    let racing: Promise<unknown> | undefined;

    const committed = await holder.setPasswordIf!(username, second, async () => {
      racing = racer.setPassword(username, awkwardPassword()).then(() => 'changed', (err: unknown) => err);
      await waitUntilBlocked(username);
      expect(await logsIn(secretFor('postgres', username, first))).toBe(true); // uncommitted: logins see the old password
      return true;
    });

    expect(committed).toBe(true);
    expect(await racing).toMatchObject({ message: 'tuple concurrently updated' });
    expect(await logsIn(secretFor('postgres', username, second))).toBe(true);
    await holder.close();
    await racer.close();
  });

  it('the lockout race on the real servers: a run stalled right after its change, while a run sharing its token finishes, leaves AWSCURRENT logging in', async () => {
    for (const engine of ['postgres', 'mongo'] as const) {
      const scenario: Scenario = { name: `${engine}: same token`, strategy: 'single-user', transactional: engine === 'postgres', runs: [{ name: 'A', token: 't1' }, { name: 'B', token: 't1' }] };
      const seen = { changed: false };
      const afterChange = (gate: string): boolean => {
        if (seen.changed) return true;
        if (/^db\.(setPassword|commit)/.test(gate)) seen.changed = true;
        return false;
      };

      const { problem, trace } = await runStory(scenario, phases({ run: 'A', until: afterChange }, { run: 'B', until: () => false }), { world: realWorld(engine), settleQuietMs: 1_500 });

      expect(problem).toBeUndefined();
      expect(trace.lastIndexOf('B: sm.UpdateSecretVersionStage')).toBeGreaterThan(trace.findIndex((line) => /^A: db\.(setPassword|commit)/.test(line)));
    }
  });
});

/** Waits (bounded) until some backend waits on a lock while altering `username`. */
async function waitUntilBlocked(username: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const waiting = await asPostgresAdmin((c: pg.Client) =>
      c.query("SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE $1", [`ALTER USER ${pg.Client.prototype.escapeIdentifier(username)}%`]),
    );
    if ((waiting.rowCount ?? 0) > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`no backend waited on a lock for user ${username} within 5 s`);
}

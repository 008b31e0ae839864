import { randomUUID } from 'node:crypto';
import { PutSecretValueCommand, UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import { beforeEach, describe, expect, it } from 'vitest';
import { RotationError, RotationInProgressError } from '../../../src/errors.js';
import { rotateSecret } from '../../../src/rotation/index.js';
import type { SecretsManagerLike } from '../../../src/secrets-manager/client.js';
import { InMemorySecretsManager } from '../../../src/testing/in-memory-secrets-manager.js';
import { FakeDatabase, secretIn, secretJson } from '../../support/fake-database.js';
import { holderOf, valueAt } from '../../support/stages.js';

const ID = 'Applications/MyApp/Postgres';

/** Answers each call after a random 0–3 ms, so concurrent runs interleave differently each trial. */
function jittery(sm: InMemorySecretsManager): SecretsManagerLike {
  return {
    send: async (command: any) => {
      await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 4)));
      return sm.send(command);
    },
  };
}

/** Simulates a racing run's PutSecretValue landing right after this run's own. */
function stealAfterPut(sm: InMemorySecretsManager): SecretsManagerLike & { thiefToken: string } {
  const thiefToken = randomUUID();
  let stolen = false;
  return {
    thiefToken,
    send: async (command: any) => {
      const out = await sm.send(command);
      if (!stolen && command.constructor.name === 'PutSecretValueCommand') {
        stolen = true;
        await sm.send(new PutSecretValueCommand({ SecretId: ID, ClientRequestToken: thiefToken, SecretString: secretJson({ password: 'Thief-Pw-123' }), VersionStages: ['AWSPENDING'] }));
      }
      return out;
    },
  };
}

describe('racing rotations of one secret', () => {
  let sm: InMemorySecretsManager;
  let db: FakeDatabase;

  beforeEach(async () => {
    sm = new InMemorySecretsManager();
    db = new FakeDatabase().addUser('app', 'Initial-Pw-1');
    await secretIn(sm, ID, secretJson());
  });

  it('two rotations started at once: exactly one completes, the other stops with RotationInProgressError (30 interleavings)', async () => {
    for (let trial = 0; trial < 30; trial++) {
      const start = () => rotateSecret({ secretId: ID, secretsManager: jittery(sm), adapter: db.adapter(), resumeAfterMs: 60_000 });

      const outcomes = await Promise.allSettled([start(), start()]);

      const done = outcomes.filter((o) => o.status === 'fulfilled');
      const stopped = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason] : []));
      expect(done).toHaveLength(1);
      expect(stopped).toHaveLength(1);
      expect(stopped[0]).toBeInstanceOf(RotationInProgressError);
      expect(await holderOf(sm, ID, 'AWSPENDING')).toBe(await holderOf(sm, ID, 'AWSCURRENT')); // left on AWSCURRENT, as Secrets Manager leaves it
      expect(db.accepts('app', (await valueAt(sm, ID, 'AWSCURRENT')).password)).toBe(true);
    }
  });

  it('a run whose AWSPENDING is taken by a racing put right after its own stops before touching the database', async () => {
    const client = stealAfterPut(sm);

    const err = await rotateSecret({ secretId: ID, secretsManager: client, adapter: db.adapter() }).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(RotationInProgressError);
    expect((err as RotationInProgressError).pendingVersionId).toBe(client.thiefToken);
    expect(db.changes).toEqual([]);
  });

  it('a run that loses AWSPENDING just after changing the password sets the old password back', async () => {
    db.afterSetPassword = async () => {
      db.afterSetPassword = undefined;
      await sm.send(new PutSecretValueCommand({ SecretId: ID, ClientRequestToken: randomUUID(), SecretString: secretJson({ password: 'Thief-Pw-123' }), VersionStages: ['AWSPENDING'] }));
    };

    const err = await rotateSecret({ secretId: ID, secretsManager: sm, adapter: db.adapter() }).catch((e: unknown) => e);

    expect(err).toBeInstanceOf(RotationInProgressError);
    expect(db.changes).toEqual(['app', 'app']);
    expect(db.accepts('app', 'Initial-Pw-1')).toBe(true);
  });

  it('runs that share one token converge on one new version (scheduler replicas)', async () => {
    const token = randomUUID();
    const start = () => rotateSecret({ secretId: ID, secretsManager: jittery(sm), adapter: db.adapter(), clientRequestToken: token });

    const [a, b] = await Promise.all([start(), start()]);

    expect(a.newVersionId).toBe(token);
    expect(b.newVersionId).toBe(token);
    expect(await holderOf(sm, ID, 'AWSCURRENT')).toBe(token);
    expect(sm.callCount('PutSecretValue')).toBeLessThanOrEqual(2);
    expect(db.accepts('app', (await valueAt(sm, ID, 'AWSCURRENT')).password)).toBe(true);
  });

  it('takes a failed password change as done when a run sharing the token made it at the same moment', async () => {
    const adapter = db.adapter();
    const racing = {
      ...adapter,
      openSession: async (secret: Parameters<typeof adapter.openSession>[0]) => {
        const session = await adapter.openSession(secret);
        return {
          ...session,
          // As PostgreSQL answers the second of two concurrent ALTER USER of one role.
          setPassword: async (username: string, password: string) => {
            await session.setPassword(username, password);
            throw Object.assign(new Error('tuple concurrently updated'), { code: 'XX000' });
          },
        };
      },
    };

    const result = await rotateSecret({ secretId: ID, secretsManager: sm, adapter: racing });

    expect(result.steps[1]).toMatchObject({ step: 'setSecret', outcome: 'skipped' });
    expect(db.accepts('app', (await valueAt(sm, ID, 'AWSCURRENT')).password)).toBe(true);
  });

  it('with the default resumeAfterMs, a second run joins the first one instead of starting another rotation', async () => {
    let joined: Awaited<ReturnType<typeof rotateSecret>> | undefined;
    // The second run starts while the first is in setSecret, and runs to its end there.
    db.beforeLogin = async () => {
      db.beforeLogin = undefined;
      joined = await rotateSecret({ secretId: ID, secretsManager: sm, adapter: db.adapter() });
    };

    const result = await rotateSecret({ secretId: ID, secretsManager: sm, adapter: db.adapter() });

    expect(joined?.clientRequestToken).toBe(result.clientRequestToken);
    expect(joined?.resumed).toBe(true);
    expect(sm.callCount('PutSecretValue')).toBe(1);
    expect(db.accepts('app', (await valueAt(sm, ID, 'AWSCURRENT')).password)).toBe(true);
  });

  it('refuses to resume a pending version whose label was removed before createSecret, without asking for a password or writing', async () => {
    db.up = false;
    const cut = (await rotateSecret({ secretId: ID, secretsManager: sm, adapter: db.adapter() }).catch((e: unknown) => e)) as RotationError;
    db.up = true;
    const pendingId = cut.clientRequestToken as string;
    let describes = 0;
    // An operator starts over (removes AWSPENDING) between the run's choice of token and its createSecret.
    const startOverInBetween: SecretsManagerLike = {
      send: async (command: any) => {
        if (command.constructor.name === 'DescribeSecretCommand' && ++describes === 2) {
          await sm.send(new UpdateSecretVersionStageCommand({ SecretId: ID, VersionStage: 'AWSPENDING', RemoveFromVersionId: pendingId }));
        }
        return sm.send(command);
      },
    };
    const randomBefore = sm.callCount('GetRandomPassword');
    const putsBefore = sm.callCount('PutSecretValue');

    const err = (await rotateSecret({ secretId: ID, secretsManager: startOverInBetween, adapter: db.adapter() }).catch((e: unknown) => e)) as RotationError;

    expect(err).toBeInstanceOf(RotationError);
    expect(err.step).toBe('createSecret');
    expect(err.clientRequestToken).toBe(pendingId);
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('neither AWSPENDING nor AWSCURRENT');
    expect(sm.callCount('GetRandomPassword')).toBe(randomBefore);
    expect(sm.callCount('PutSecretValue')).toBe(putsBefore);
  });
});

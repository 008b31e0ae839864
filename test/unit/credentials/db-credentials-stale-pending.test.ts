import { PutSecretValueCommand, UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { SecretCache } from '../../../src/cache/secret-cache.js';
import { DbCredentials } from '../../../src/credentials/db-credentials.js';
import { parseRedshiftSecret, type RedshiftSecret } from '../../../src/credentials/parse.js';
import { InMemorySecretsManager } from '../../../src/testing/in-memory-secrets-manager.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';
import { FakeDatabase } from '../../support/fake-database.js';
import { readsOf, SECRET_ID } from './fixtures.js';

// AWSPENDING-first recovery (issue 13) against an AWSPENDING that is no rotation in progress:
// left behind on an old version while the password was changed another way (an operator's
// PutSecretValue to AWSCURRENT and ALTER USER). Recovery must reach AWSCURRENT without trying
// the leftover against the database.

const VALUE = { engine: 'postgres', host: '127.0.0.1', port: 5432, username: 'app', dbname: 'app' };

async function setup() {
  const clock = new ManualClock(1_700_000_000_000);
  const sm = new InMemorySecretsManager({ clock });
  const db = new FakeDatabase().addUser('app', 'pw-0');
  const put = async (password: string, stages: string[], token: string) => {
    await sm.send(new PutSecretValueCommand({ SecretId: SECRET_ID, ClientRequestToken: token, SecretString: JSON.stringify({ ...VALUE, password }), VersionStages: stages }));
    clock.advance(1_000);
    return token;
  };
  const created = await sm.send({ name: 'CreateSecret', input: { Name: SECRET_ID, SecretString: JSON.stringify({ ...VALUE, password: 'pw-0' }) } });
  clock.advance(1_000);
  const cache = new SecretCache({ secretsManager: sm, clock, maxAttempts: 1, ttlMs: 300_000, random: () => 0 });
  const creds = new DbCredentials<RedshiftSecret>({ cache, secretId: SECRET_ID, parse: parseRedshiftSecret, clock, random: () => 0 });
  const logins: string[] = [];
  const connect = (secret: RedshiftSecret): Promise<void> => {
    logins.push(secret.versionId);
    return db.connect(secret).then(() => undefined);
  };
  return { clock, sm, db, cache, creds, put, firstId: created.VersionId as string, logins, connect };
}

describe('DbCredentials recovery with a leftover AWSPENDING', () => {
  it('skips an AWSPENDING left on the AWSPREVIOUS version and adopts the AWSCURRENT an operator put, with one rejected login', async () => {
    const { sm, db, creds, put, firstId, logins, connect } = await setup();
    const held = await creds.current(); // this process holds version 0
    // A finished rotation whose AWSPENDING stayed on its version (as AWS's templates leave it)...
    const rotated = await put('pw-1', ['AWSPENDING'], 'rotation-1');
    await sm.send(new UpdateSecretVersionStageCommand({ SecretId: SECRET_ID, VersionStage: 'AWSCURRENT', MoveToVersionId: rotated, RemoveFromVersionId: firstId }));
    // ...then an operator's PutSecretValue (AWSCURRENT) and ALTER USER: version 1 is AWSPREVIOUS, still AWSPENDING.
    const operator = await put('pw-2', ['AWSCURRENT'], 'operator-2');
    db.setPassword('app', 'pw-2');
    expect(held.versionId).toBe(firstId);

    await creds.withRecovery(connect);

    expect(logins).toEqual([firstId, operator]);
  });

  it('does not adopt an AWSPENDING older than the AWSCURRENT this process holds (an abandoned createSecret), but the AWSCURRENT an operator put since', async () => {
    const { sm, db, cache, creds, put, logins, connect } = await setup();
    // createSecret of a rotation that was abandoned before setSecret...
    await put('pw-abandoned', ['AWSPENDING'], 'abandoned-1');
    // ...then an operator changed the password twice; this process learnt the first change.
    const known = await put('pw-2', ['AWSCURRENT'], 'operator-2');
    db.setPassword('app', 'pw-2');
    await cache.refresh(SECRET_ID);
    expect((await creds.current()).versionId).toBe(known);
    const latest = await put('pw-3', ['AWSCURRENT'], 'operator-3');
    db.setPassword('app', 'pw-3');
    sm.calls.length = 0;

    await creds.withRecovery(connect);

    expect(logins).toEqual([known, latest]);
    expect(readsOf(sm)).toEqual(['AWSPENDING', 'AWSCURRENT']);
  });

  it('an abandoned AWSPENDING newer than the held AWSCURRENT costs one more rejected login, then AWSCURRENT answers within the budget', async () => {
    const { clock, db, creds, put, firstId, logins, connect } = await setup();
    await creds.current();
    await put('pw-abandoned', ['AWSPENDING'], 'abandoned-1'); // createSecret ran, setSecret never did
    const operator = await put('pw-2', ['AWSCURRENT'], 'operator-2');
    db.setPassword('app', 'pw-2');
    const startedAt = clock.monotonicMs();

    const done = await creds.withRecovery(connect).then(() => 'ok');

    expect(done).toBe('ok');
    expect(logins).toEqual([firstId, 'abandoned-1', operator]);
    expect(clock.monotonicMs() - startedAt).toBe(0); // no wait: each rejection's first round is free
  });
});

describe('DbCredentials recovery across back-to-back rotations', () => {
  it('when the AWSPENDING it preferred is rejected by the next rotation, does not fall back to the AWSCURRENT rejected before it while the cache still holds that one', async () => {
    const { clock, sm, db, creds, put, firstId, logins, connect } = await setup();
    const held = await creds.current();
    // Rotation 1 (single user): createSecret, setSecret; this process recovers onto AWSPENDING.
    const r1 = await put('pw-1', ['AWSPENDING'], 'rotation-1');
    db.setPassword('app', 'pw-1');
    await creds.recoverAfterAuthFailure(held);
    expect((await creds.current()).versionId).toBe(r1);
    // finishSecret, within the cache's TTL: the cache still holds version 0.
    await sm.send(new UpdateSecretVersionStageCommand({ SecretId: SECRET_ID, VersionStage: 'AWSCURRENT', MoveToVersionId: r1, RemoveFromVersionId: firstId }));
    await sm.send(new UpdateSecretVersionStageCommand({ SecretId: SECRET_ID, VersionStage: 'AWSPENDING', RemoveFromVersionId: r1 }));
    // Rotation 2 a minute later (rotate-now): createSecret, setSecret.
    clock.advance(60_000);
    const r2 = await put('pw-2', ['AWSPENDING'], 'rotation-2');
    db.setPassword('app', 'pw-2');
    logins.length = 0;

    await creds.withRecovery(connect);

    expect(logins).toEqual([r1, r2]); // not r1, version 0 (rejected a rotation ago), r2
  });
});

describe('DbCredentials recovery with an AWSPENDING that does not parse', () => {
  it('an AWSPENDING that is not a database secret (a failed createSecret) does not end the recovery: the AWSCURRENT an operator put answers', async () => {
    const { sm, db, creds, firstId, logins, connect, clock } = await setup();
    await creds.current();
    await sm.send(new PutSecretValueCommand({ SecretId: SECRET_ID, ClientRequestToken: 'broken-1', SecretString: '{"password":', VersionStages: ['AWSPENDING'] }));
    clock.advance(1_000);
    await sm.send(new PutSecretValueCommand({ SecretId: SECRET_ID, ClientRequestToken: 'operator-2', SecretString: JSON.stringify({ ...VALUE, password: 'pw-2' }), VersionStages: ['AWSCURRENT'] }));
    db.setPassword('app', 'pw-2');

    await creds.withRecovery(connect);

    expect(logins).toEqual([firstId, 'operator-2']);
  });
});

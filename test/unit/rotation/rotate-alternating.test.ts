import { beforeEach, describe, expect, it } from 'vitest';
import { RotationError } from '../../../src/errors.js';
import { alternateUsername, rotateSecret } from '../../../src/rotation/index.js';
import { InMemorySecretsManager } from '../../../src/testing/in-memory-secrets-manager.js';
import { FakeDatabase, secretIn, secretJson } from '../../support/fake-database.js';
import { writes } from './helpers.js';
import { holderOf, valueAt } from '../../support/stages.js';

const ID = 'Applications/MyApp/Postgres';
const MASTER = 'Applications/MyApp/Postgres-master';

describe('rotateSecret, alternating users', () => {
  let sm: InMemorySecretsManager;
  let db: FakeDatabase;
  let masterArn: string;

  beforeEach(async () => {
    sm = new InMemorySecretsManager();
    db = new FakeDatabase()
      .addUser('app', 'Initial-Pw-1', { roles: ['app_readers'] })
      .addUser('admin', 'Admin-Pw-1', { admin: true });
    await secretIn(sm, MASTER, secretJson({ username: 'admin', password: 'Admin-Pw-1' }));
    masterArn = (await sm.send({ name: 'DescribeSecret', input: { SecretId: MASTER } })).ARN;
    await secretIn(sm, ID, secretJson({ masterarn: masterArn }));
  });

  const rotate = () => rotateSecret({ secretId: ID, secretsManager: sm, adapter: db.adapter(), strategy: 'alternating-users' });

  it('creates app_clone with the privileges of app the first time, and app keeps its password', async () => {
    await rotate();

    const current = await valueAt(sm, ID, 'AWSCURRENT');
    expect(current.username).toBe('app_clone');
    expect(db.accepts('app_clone', current.password)).toBe(true);
    expect(db.users.get('app_clone')!.roles).toEqual(['app_readers']);
    expect(db.accepts('app', 'Initial-Pw-1')).toBe(true);
    expect((await valueAt(sm, ID, 'AWSPREVIOUS')).username).toBe('app');
  });

  it('re-passwords app on the second rotation and leaves app_clone, the current user, alone', async () => {
    await rotate();
    const clone = await valueAt(sm, ID, 'AWSCURRENT');

    await rotate();

    const current = await valueAt(sm, ID, 'AWSCURRENT');
    expect(current.username).toBe('app');
    expect(db.accepts('app', current.password)).toBe(true);
    expect(db.accepts('app', 'Initial-Pw-1')).toBe(false);
    expect(db.accepts('app_clone', clone.password)).toBe(true);
  });

  it('keeps the current user logging in at every step', async () => {
    const seen: boolean[] = [];

    await rotateSecret({
      secretId: ID,
      secretsManager: sm,
      adapter: db.adapter(),
      strategy: 'alternating-users',
      onStep: () => seen.push(db.accepts('app', 'Initial-Pw-1')),
    });

    expect(seen).toEqual([true, true, true, true]);
  });

  it('refuses a secret without masterarn before writing anything', async () => {
    await sm.send({ name: 'PutSecretValue', input: { SecretId: ID, SecretString: secretJson() } });
    const before = writes(sm);

    const err = (await rotate().catch((e: unknown) => e)) as RotationError;

    expect(err).toBeInstanceOf(RotationError);
    expect(err.step).toBe('createSecret');
    expect(err.message).toContain('masterarn');
    expect(writes(sm)).toBe(before);
  });

  it('refuses a master secret for another host', async () => {
    await sm.send({ name: 'PutSecretValue', input: { SecretId: MASTER, SecretString: secretJson({ host: 'other.internal', username: 'admin', password: 'Admin-Pw-1' }) } });

    const err = (await rotate().catch((e: unknown) => e)) as RotationError;

    expect(err).toBeInstanceOf(RotationError);
    expect(err.step).toBe('setSecret');
    expect(err.message).toContain('other.internal');
    expect(db.changes).toEqual([]);
  });

  it('refuses to resume a single-user AWSPENDING as alternating users (the username would be wrong)', async () => {
    db.up = false;
    await rotateSecret({ secretId: ID, secretsManager: sm, adapter: db.adapter() }).catch(() => undefined);
    db.up = true;

    const err = (await rotate().catch((e: unknown) => e)) as RotationError;

    expect(err).toBeInstanceOf(RotationError);
    expect(err.step).toBe('setSecret');
    expect(err.message).toContain('expects "app_clone"');
    expect(await holderOf(sm, ID, 'AWSPENDING')).toBe(err.clientRequestToken);
  });

  describe('never touches the master or an administrator', () => {
    /** Rotates a secret for `username` and expects a non-retryable setSecret refusal naming `expected`, with no database change. */
    async function expectRefusal(username: string, expected: string): Promise<void> {
      const password = db.users.get(username)!.password; // the secret is the current user's: it logs in
      await sm.send({ name: 'PutSecretValue', input: { SecretId: ID, SecretString: secretJson({ username, password, masterarn: masterArn }) } });

      const err = (await rotate().catch((e: unknown) => e)) as RotationError;

      expect(err).toBeInstanceOf(RotationError);
      expect(err.step).toBe('setSecret');
      expect(err.retryable).toBe(false);
      expect(err.message).toContain(expected);
      expect(db.changes).toEqual([]);
      expect(db.accepts('admin', 'Admin-Pw-1')).toBe(true);
    }

    it("refuses an app secret named <master>_clone, whose other user is the master's own", async () => {
      db.addUser('admin_clone', 'Clone-Pw-1');

      await expectRefusal('admin_clone', '"admin" of the alternating pair is the master secret\'s own user');
    });

    it('refuses when the other user of the pair is a superuser', async () => {
      db.addUser('ops', 'Ops-Pw-1').addUser('ops_clone', 'Root-Pw-1', { admin: true });

      await expectRefusal('ops', 'user "ops_clone" is an administrator (SUPERUSER)');
    });

    it('refuses to clone a superuser', async () => {
      db.addUser('ops', 'Ops-Pw-1', { admin: true });

      await expectRefusal('ops', 'user "ops" is an administrator (SUPERUSER)');
    });

    it("refuses to re-password an existing other user that is not the current user's clone", async () => {
      db.addUser('ops', 'Ops-Pw-1', { roles: ['ops_rw'] }).addUser('ops_clone', 'Other-Pw-1', { roles: ['billing_rw'] });

      await expectRefusal('ops', '"ops_clone" is not a clone of "ops"');
    });

    it('refuses an adapter that cannot describe users (no describeUser / isCloneOf), before changing anything', async () => {
      const adapter = db.adapter();
      const blind = {
        ...adapter,
        openSession: async (secret: Parameters<typeof adapter.openSession>[0]) => {
          const { describeUser: _d, isCloneOf: _c, ...session } = await adapter.openSession(secret);
          return session;
        },
      };

      const err = (await rotateSecret({ secretId: ID, secretsManager: sm, adapter: blind, strategy: 'alternating-users' }).catch((e: unknown) => e)) as RotationError;

      expect(err).toBeInstanceOf(RotationError);
      expect(err.message).toContain('cannot tell administrators or clones apart');
      expect(db.changes).toEqual([]);
    });

    it('refuses when the other user holds admin roles the current user does not', async () => {
      db.addUser('ops', 'Ops-Pw-1', { roles: ['app_readers'] }).addUser('ops_clone', 'Clone-Pw-1', { roles: ['app_readers', 'admin:userAdmin@admin'] });

      await expectRefusal('ops', 'holds admin roles that "ops" does not (admin:userAdmin@admin)');
    });
  });

  it('refuses a user name whose _clone would not fit the database, before writing anything', async () => {
    const long = 'u'.repeat(60);
    db.addUser(long, 'Initial-Pw-1');
    await sm.send({ name: 'PutSecretValue', input: { SecretId: ID, SecretString: secretJson({ username: long, masterarn: masterArn }) } });
    const before = writes(sm);

    const err = (await rotate().catch((e: unknown) => e)) as RotationError;

    expect(err).toBeInstanceOf(RotationError);
    expect(err.message).toContain('63 bytes');
    expect(writes(sm)).toBe(before);
  });

  it('pairs user names both ways', () => {
    expect(alternateUsername('app')).toBe('app_clone');
    expect(alternateUsername('app_clone')).toBe('app');
    expect(alternateUsername('_clone')).toBe('_clone_clone');
  });
});

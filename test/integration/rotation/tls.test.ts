import { readFileSync } from 'node:fs';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RotationError, TlsError } from '../../../src/errors.js';
import { rotateSecret, type StepReport } from '../../../src/rotation/index.js';
import { servers } from '../../support/servers.js';
import { awkwardPassword, createDbUser, createSecret, logsIn, secretFor, STRATEGIES } from './support.js';
import { uniqueName } from '../../support/names.js';
import { readStage } from '../../support/stages.js';
import { motoClient } from '../../support/moto.js';

type Strategy = (typeof STRATEGIES)[number];

/** Runs `body` with `PGSSLMODE` set to `mode`, then restores it. */
async function withSslMode<T>(mode: string, body: () => Promise<T>): Promise<T> {
  const saved = process.env['PGSSLMODE'];
  process.env['PGSSLMODE'] = mode;
  try {
    return await body();
  } finally {
    if (saved === undefined) delete process.env['PGSSLMODE'];
    else process.env['PGSSLMODE'] = saved;
  }
}

/** A client of the TLS PostgreSQL over verified TLS (the test CA), as `user`. */
function tlsClient(user: string, password: string, host = servers().postgresTls.host): pg.Client {
  const { port, database, caFile } = servers().postgresTls;
  return new pg.Client({ host, port, user, password, database, ssl: { ca: readFileSync(caFile, 'utf8') } });
}

/** True when the TLS PostgreSQL accepts `user`/`password` over verified TLS; false when it rejects them. */
async function logsInOverTls(user: string, password: string): Promise<boolean> {
  const client = tlsClient(user, password);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch (err) {
    if ((err as { code?: unknown }).code === '28P01') return false;
    throw err;
  } finally {
    await client.end().catch(() => undefined);
  }
}

describe('rotation engine against a PostgreSQL with TLS on (certificate from a CA made in the test)', () => {
  let client: SecretsManagerClient;
  let admin: pg.Client;

  beforeAll(async () => {
    client = motoClient({ maxAttempts: 3 });
    const s = servers().postgresTls;
    admin = tlsClient(s.user, s.password);
    await admin.connect();
  });
  afterAll(async () => {
    await admin?.end();
    client.destroy();
  });

  /**
   * A user of the TLS server that may log in over TLS only (the server rejects it in plaintext,
   * so a rotation that completes used TLS for every login), and a secret for it; for
   * alternating users also a master secret with the superuser, itself TLS-only there.
   */
  async function tlsOnlySecret(strategy: Strategy, extra: Record<string, unknown> = {}): Promise<{ secretId: string; username: string; password: string }> {
    const s = servers().postgresTls;
    const username = uniqueName('app_tls');
    const password = awkwardPassword();
    const id = admin.escapeIdentifier(username);
    await admin.query(`CREATE ROLE ${id} LOGIN PASSWORD ${admin.escapeLiteral(password)} IN ROLE ${admin.escapeIdentifier(s.tlsOnlyRole)}`);
    const base = { engine: 'postgres', host: s.host, port: s.port, dbname: s.database, ...extra };
    let masterarn: string | undefined;
    if (strategy === 'alternating-users') {
      masterarn = (await createSecret(client, uniqueName('rotation/tls-master'), { ...base, username: s.user, password: s.password })).arn;
    }
    const secretId = uniqueName('rotation/tls');
    await createSecret(client, secretId, { ...base, username, password, ...(masterarn ? { masterarn } : {}) });
    return { secretId, username, password };
  }

  /** The step reports of a rotation, failed ones included. */
  function recorder(): { onStep: (r: StepReport) => void; reports: StepReport[] } {
    const reports: StepReport[] = [];
    return { onStep: (r) => reports.push(r), reports };
  }

  it.each(STRATEGIES)('%s: a secret without an "ssl" field rotates over verified TLS (tlsCAFile); every login used TLS', async (strategy) => {
    const { secretId } = await tlsOnlySecret(strategy);
    const { onStep, reports } = recorder();

    const result = await rotateSecret({ secretId, secretsManager: client, strategy, tlsCAFile: servers().postgresTls.caFile, onStep });

    const current = await readStage(client, secretId, 'AWSCURRENT');
    expect(current.versionId).toBe(result.newVersionId);
    expect(await logsInOverTls(current.value.username, current.value.password)).toBe(true);
    expect(reports.filter((r) => r.warning !== undefined)).toEqual([]);
  });

  it('a CA that did not sign the server certificate stops the rotation with TlsError, naming tlsCAFile; the password is unchanged', async () => {
    const { secretId, username, password } = await tlsOnlySecret('single-user');

    const error = await rotateSecret({ secretId, secretsManager: client, tlsCAFile: servers().postgresTls.otherCaFile }).catch((err: unknown) => err);

    expect(error).toBeInstanceOf(RotationError);
    expect(error).toMatchObject({ step: 'setSecret' });
    expect((error as Error).cause).toBeInstanceOf(TlsError);
    expect((error as Error).cause).toMatchObject({ reason: 'untrusted-certificate' });
    expect((error as Error).message).toMatch(/certificate is not trusted .*"tlsCAFile" option/);
    expect(await logsInOverTls(username, password)).toBe(true);
  });

  it('a host the certificate does not name stops the rotation with TlsError; the password is unchanged', async () => {
    const { secretId, username, password } = await tlsOnlySecret('single-user', { host: servers().postgresTls.unnamedHost });

    const error = await rotateSecret({ secretId, secretsManager: client, tlsCAFile: servers().postgresTls.caFile }).catch((err: unknown) => err);

    expect((error as Error).cause).toMatchObject({ code: 'ERR_TLS', reason: 'host-mismatch', host: '127.0.0.2' });
    expect(await logsInOverTls(username, password)).toBe(true);
  });

  it('a secret without an "ssl" field against a plaintext-only server stops with TlsError (TLS refused); nothing was sent in plaintext', async () => {
    const username = uniqueName('app_plain');
    const password = awkwardPassword();
    await createDbUser('postgres', username, password);
    const { ssl: _plaintext, ...silent } = secretFor('postgres', username, password);
    const secretId = uniqueName('rotation/silent');
    await createSecret(client, secretId, silent);

    const error = await rotateSecret({ secretId, secretsManager: client }).catch((err: unknown) => err);

    expect((error as Error).cause).toMatchObject({ code: 'ERR_TLS', reason: 'tls-refused', port: servers().postgres.port });
    expect(await logsIn({ ...silent, username, password })).toBe(true);
  });

  describe('"ssl": false: plaintext on purpose, and one warning when a password goes over it', () => {
    it.each(STRATEGIES)('%s: the rotation completes and reports exactly one warning, on setSecret, without any password', async (strategy) => {
      const username = uniqueName('app_plain');
      const password = awkwardPassword();
      await createDbUser('postgres', username, password);
      const master = servers().postgres;
      const masterarn =
        strategy === 'alternating-users'
          ? (await createSecret(client, uniqueName('rotation/plain-master'), secretFor('postgres', master.user, master.password))).arn
          : undefined;
      const secretId = uniqueName('rotation/plain');
      await createSecret(client, secretId, secretFor('postgres', username, password, masterarn ? { masterarn } : {}));
      const { onStep, reports } = recorder();

      const result = await rotateSecret({ secretId, secretsManager: client, strategy, onStep });

      const warned = reports.filter((r) => r.warning !== undefined);
      expect(warned).toHaveLength(1);
      expect(warned[0]!.step).toBe('setSecret');
      expect(warned[0]!.warning).toMatch(/without TLS because the secret says "ssl": false/);
      expect(result.steps.filter((r) => r.warning !== undefined)).toHaveLength(1);
      const current = await readStage(client, secretId, 'AWSCURRENT');
      for (const secret of [password, current.value.password, master.password]) {
        expect(JSON.stringify(reports)).not.toContain(secret);
      }
    });
  });

  describe('PGSSLMODE chooses when the secret has no "ssl" field', () => {
    it('require: TLS without certificate verification (no tlsCAFile needed); every login used TLS', async () => {
      const { secretId } = await tlsOnlySecret('single-user');

      const result = await withSslMode('require', () => rotateSecret({ secretId, secretsManager: client }));

      const current = await readStage(client, secretId, 'AWSCURRENT');
      expect(current.versionId).toBe(result.newVersionId);
      expect(await logsInOverTls(current.value.username, current.value.password)).toBe(true);
    });

    it('disable: plaintext, with the warning', async () => {
      const username = uniqueName('app_plain');
      const password = awkwardPassword();
      await createDbUser('postgres', username, password);
      const { ssl: _plaintext, ...silent } = secretFor('postgres', username, password);
      const secretId = uniqueName('rotation/silent-disable');
      await createSecret(client, secretId, silent);
      const { onStep, reports } = recorder();

      await withSslMode('disable', () => rotateSecret({ secretId, secretsManager: client, onStep }));

      expect(reports.map((r) => r.warning).filter(Boolean)).toEqual([expect.stringMatching(/PGSSLMODE is disable/)]);
    });
  });

  it('"ssl": true is never downgraded: with PGSSLMODE=disable the rotation still uses verified TLS for every login', async () => {
    const { secretId } = await tlsOnlySecret('single-user', { ssl: true });

    const result = await withSslMode('disable', () => rotateSecret({ secretId, secretsManager: client, tlsCAFile: servers().postgresTls.caFile }));

    expect(result.steps.map((s) => s.outcome)).toEqual(['done', 'done', 'done', 'done']);
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { MongoServerSelectionError, type MongoClientOptions } from 'mongodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFerretDb, type RunningFerretDb } from '../../../tools/servers/index.js';
import { getDocumentDbClient } from '../../../src/documentdb/index.js';
import { InvalidOptionError } from '../../../src/errors.js';
import { createDocumentDbSecret } from './helpers.js';
import { uniqueName } from '../../support/names.js';
import { motoClient } from '../../support/moto.js';
import { makeCertificates, type TestCertificates } from '../../support/certificates.js';

describe('getDocumentDbClient over TLS (a FerretDB listening with TLS, CA made in the test)', () => {
  let dir: string;
  let certs: TestCertificates;
  let ferret: RunningFerretDb;
  let sm: SecretsManagerClient;
  const fastFail = { serverSelectionTimeoutMS: 2_000, connectTimeoutMS: 2_000 };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'credstage-tls-'));
    certs = makeCertificates(dir);
    ferret = await startFerretDb({ tls: { certFile: certs.certFile, keyFile: certs.keyFile } });
    sm = motoClient();
  });
  afterAll(async () => {
    await ferret?.stop();
    sm?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const secretFor = (port: number, ssl: boolean) =>
    createDocumentDbSecret(sm, { username: ferret.username, password: ferret.password, port, ssl });

  it('connects with ssl: true and the CA from tlsCAFile, and reads and writes', async () => {
    const { secretId } = await secretFor(ferret.tls!.port, true);

    const client = await getDocumentDbClient({ secretId, secretsManager: sm, tlsCAFile: certs.caFile, mongoClientOptions: fastFail });
    try {
      const items = client.db('credstage_it').collection<{ _id: string }>(uniqueName('tls'));
      await items.insertOne({ _id: 'over-tls' });

      expect(await items.find({}).toArray()).toEqual([{ _id: 'over-tls' }]);
    } finally {
      await client.close();
    }
  });

  it('fails with a certificate error when tlsCAFile names a CA that did not sign the server certificate', async () => {
    const { secretId } = await secretFor(ferret.tls!.port, true);

    const error = await getDocumentDbClient({ secretId, secretsManager: sm, tlsCAFile: certs.otherCaFile, mongoClientOptions: fastFail }).catch(
      (err: unknown) => err,
    );

    expect(error).toBeInstanceOf(MongoServerSelectionError);
    expect((error as Error).message).toMatch(/certificate/);
  });

  it('verifies the certificate by default: ssl: true without tlsCAFile does not trust a private CA', async () => {
    const { secretId } = await secretFor(ferret.tls!.port, true);

    const error = await getDocumentDbClient({ secretId, secretsManager: sm, mongoClientOptions: fastFail }).catch((err: unknown) => err);

    expect((error as Error).message).toMatch(/certificate/);
  });

  it('never falls back to plaintext: ssl: true against the plaintext port fails, while ssl: false there works', async () => {
    const tlsSecret = await secretFor(ferret.port, true);
    const plainSecret = await secretFor(ferret.port, false);

    const error = await getDocumentDbClient({ secretId: tlsSecret.secretId, secretsManager: sm, tlsCAFile: certs.caFile, mongoClientOptions: fastFail }).catch(
      (err: unknown) => err,
    );
    const plain = await getDocumentDbClient({ secretId: plainSecret.secretId, secretsManager: sm, mongoClientOptions: fastFail });
    const plainWorks = await plain.db('credstage_it').collection(uniqueName('plain')).insertOne({ ok: true });
    await plain.close();

    expect(error).toBeInstanceOf(MongoServerSelectionError);
    expect(plainWorks.acknowledged).toBe(true);
  });

  it('keeps TLS on for ssl: true whatever mongoClientOptions spell: null or undefined tls fails against the plaintext port, tls off in any case is refused', async () => {
    const { secretId } = await secretFor(ferret.port, true);
    const attempt = (mongoClientOptions: MongoClientOptions) =>
      getDocumentDbClient({ secretId, secretsManager: sm, tlsCAFile: certs.caFile, mongoClientOptions: { ...fastFail, ...mongoClientOptions } }).then(
        async (client) => {
          await client.close();
          return 'connected in plaintext';
        },
        (err: unknown) => err,
      );

    const outcomes = [
      await attempt({ tls: undefined }),
      await attempt({ tls: null as unknown as boolean }),
      await attempt({ TLS: false } as MongoClientOptions),
      await attempt({ Tls: 'false' } as MongoClientOptions),
      await attempt({ tlsInsecure: true }),
    ];

    expect(outcomes[0]).toBeInstanceOf(MongoServerSelectionError);
    expect(outcomes[1]).toBeInstanceOf(MongoServerSelectionError);
    expect(outcomes.slice(2).map((e) => (e as InvalidOptionError).option)).toEqual(['mongoClientOptions.TLS', 'mongoClientOptions.Tls', 'mongoClientOptions.tlsInsecure']);
  });

  it('turns TLS on for a secret with ssl: false when tlsCAFile is given: a CA file implies TLS', async () => {
    const overTls = await secretFor(ferret.tls!.port, false);
    const overPlain = await secretFor(ferret.port, false);

    const client = await getDocumentDbClient({ secretId: overTls.secretId, secretsManager: sm, tlsCAFile: certs.caFile, mongoClientOptions: fastFail });
    const inserted = await client.db('credstage_it').collection(uniqueName('ca-implies-tls')).insertOne({ ok: true });
    await client.close();
    const plainError = await getDocumentDbClient({ secretId: overPlain.secretId, secretsManager: sm, tlsCAFile: certs.caFile, mongoClientOptions: fastFail }).catch(
      (err: unknown) => err,
    );

    expect(inserted.acknowledged).toBe(true);
    expect(plainError).toBeInstanceOf(MongoServerSelectionError);
  });
});

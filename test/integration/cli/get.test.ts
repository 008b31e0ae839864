import { CreateSecretCommand, PutSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { servers } from '../../support/servers.js';
import { awkwardPassword, createSecret } from '../rotation/support.js';
import { credstage, leakedPasswords, LineProcess } from './support.js';
import { uniqueName } from '../../support/names.js';
import { motoClient } from '../../support/moto.js';

describe('credstage get', () => {
  afterEach(() => LineProcess.killAll());

  let client: SecretsManagerClient;
  let secretId: string;
  let versionId: string;
  let arn: string;
  const password = awkwardPassword();
  const value = { engine: 'postgres', host: '127.0.0.1', port: 5439, username: 'app_user', password, dbname: 'dev' };

  beforeAll(async () => {
    client = motoClient({ maxAttempts: 3 });
    secretId = uniqueName('cli/get');
    ({ arn, versionId } = await createSecret(client, secretId, value));
  });
  afterAll(() => client.destroy());

  const get = (...args: string[]) => credstage(['get', ...args, '--endpoint', servers().moto.endpoint]);

  it('prints the version metadata and the database fields, never the password', async () => {
    const { code, stdout, stderr } = await get(secretId);

    expect(code, stderr).toBe(0);
    expect(stderr).toBe('');
    const lines = Object.fromEntries(stdout.trim().split('\n').map((l) => [l.slice(0, 14).trim(), l.slice(15)]));
    expect(lines).toMatchObject({ name: secretId, arn, versionId, versionStages: '["AWSCURRENT"]', kind: 'string' });
    expect(JSON.parse(lines['fields']!)).toEqual({ engine: 'postgres', host: '127.0.0.1', port: 5439, username: 'app_user', dbname: 'dev' });
    expect(lines['value']).toBeUndefined();
    expect(leakedPasswords(stdout + stderr, password)).toEqual([]);
  });

  it('prints the value only with --show-value', async () => {
    const { code, stdout, stderr } = await get(secretId, '--show-value');

    expect(code, stderr).toBe(0);
    expect(stdout).toContain(JSON.stringify(value));
    expect(leakedPasswords(stdout, password)).toEqual([password]);
  });

  it('--json prints one JSON document, without the value unless --show-value', async () => {
    const plain = await get(secretId, '--json');
    const shown = await get(secretId, '--json', '--show-value');

    expect(plain.code, plain.stderr).toBe(0);
    const doc = JSON.parse(plain.stdout) as Record<string, unknown>;
    expect(doc).toMatchObject({ name: secretId, arn, versionId, versionStages: ['AWSCURRENT'], kind: 'string', fields: { username: 'app_user' } });
    expect(Date.parse(doc['createdDate'] as string)).not.toBeNaN();
    expect(doc).not.toHaveProperty('value');
    expect(leakedPasswords(plain.stdout + plain.stderr, password)).toEqual([]);
    expect(JSON.parse((JSON.parse(shown.stdout) as { value: string }).value)).toEqual(value);
  });

  it('reads a stage or a version id', async () => {
    const pendingId = '9a1c3f2e-0000-4000-8000-000000000001';
    const pendingPassword = awkwardPassword();
    const name = uniqueName('cli/get-stages');
    await createSecret(client, name, value);
    await client.send(new PutSecretValueCommand({ SecretId: name, ClientRequestToken: pendingId, SecretString: JSON.stringify({ ...value, password: pendingPassword }), VersionStages: ['AWSPENDING'] }));

    const byStage = await get(name, '--stage', 'AWSPENDING', '--json');
    const byId = await get(name, '--version-id', pendingId, '--json');

    expect(byStage.code, byStage.stderr).toBe(0);
    expect(JSON.parse(byStage.stdout)).toMatchObject({ versionId: pendingId, versionStages: ['AWSPENDING'] });
    expect(byId.code, byId.stderr).toBe(0);
    expect(JSON.parse(byId.stdout)).toMatchObject({ versionId: pendingId });
    expect(leakedPasswords(byStage.stdout + byId.stdout + byStage.stderr + byId.stderr, pendingPassword)).toEqual([]);
  });

  it('never prints a plain-string or binary secret without --show-value', async () => {
    const text = `plain-${awkwardPassword()}`;
    const textId = uniqueName('cli/get-text');
    const binaryId = uniqueName('cli/get-binary');
    const bytes = Buffer.from(`binary-${awkwardPassword()}`);
    await client.send(new CreateSecretCommand({ Name: textId, SecretString: text }));
    await client.send(new CreateSecretCommand({ Name: binaryId, SecretBinary: bytes }));

    const shownText = await get(textId);
    const shownBinary = await get(binaryId, '--json');

    expect(shownText.code, shownText.stderr).toBe(0);
    expect(leakedPasswords(shownText.stdout + shownText.stderr, text)).toEqual([]);
    expect(shownText.stdout).not.toMatch(/^fields/m);
    expect(shownBinary.code, shownBinary.stderr).toBe(0);
    expect(JSON.parse(shownBinary.stdout)).toMatchObject({ kind: 'binary' });
    expect(shownBinary.stdout).not.toContain(bytes.toString('base64'));
    expect(shownBinary.stdout).not.toContain(bytes.toString());
  });

  it('exits 1 with one line when the secret does not exist', async () => {
    const { code, stdout, stderr } = await get('cli/no-such-secret');

    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toEqual([expect.stringMatching(/^credstage: .*"cli\/no-such-secret".*not found/)]);
  });

  it('exits 1 with one line when the stage does not exist', async () => {
    const { code, stdout, stderr } = await get(secretId, '--stage', 'AWSPENDING');

    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^credstage: .*AWSPENDING/);
  });

  it('exits 2 when both --stage and --version-id are given', async () => {
    const { code, stdout, stderr } = await get(secretId, '--stage', 'AWSCURRENT', '--version-id', versionId);

    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/cannot be used with/);
  });
});

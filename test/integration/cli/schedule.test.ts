import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { rotationToken } from '../../../src/rotation/index.js';
import { servers } from '../../support/servers.js';
import { awkwardPassword, createSecret } from '../rotation/support.js';
import { allVersions, credstage, currentCreatedAtMs, dailyCronDueSoon, leakedPasswords, LineProcess, SHIFT_CLOCK } from './support.js';
import { uniqueName } from '../../support/names.js';
import { motoClient } from '../../support/moto.js';

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

afterEach(() => LineProcess.killAll());

describe('credstage schedule --dry-run', () => {
  let client: SecretsManagerClient;
  let dir: string;
  const password = awkwardPassword();

  beforeAll(async () => {
    client = motoClient({ maxAttempts: 3 });
    dir = await mkdtemp(join(tmpdir(), 'credstage-schedule-'));
  });
  afterAll(async () => {
    client.destroy();
    await rm(dir, { recursive: true, force: true });
  });

  /** A secret (not rotated here, so any JSON will do) and, optionally, an unfinished AWSPENDING. */
  async function secret(withPending = false): Promise<{ secretId: string; createdAtMs: number; pendingId: string | undefined }> {
    const secretId = uniqueName('schedule/dry-run');
    await createSecret(client, secretId, { engine: 'postgres', host: '127.0.0.1', port: 5432, username: 'app', password });
    const createdAtMs = await currentCreatedAtMs(client, secretId);
    if (!withPending) return { secretId, createdAtMs, pendingId: undefined };
    const pendingId = randomUUID();
    const value = JSON.stringify({ engine: 'postgres', host: '127.0.0.1', port: 5432, username: 'app', password: `${password}-next` });
    await client.send(new PutSecretValueCommand({ SecretId: secretId, ClientRequestToken: pendingId, SecretString: value, VersionStages: ['AWSPENDING'] }));
    return { secretId, createdAtMs, pendingId };
  }

  async function configFile(name: string, secrets: object[]): Promise<string> {
    const file = join(dir, `${name}.json`);
    await writeFile(file, JSON.stringify({ endpoint: servers().moto.endpoint, region: servers().moto.region, secrets }));
    return file;
  }

  const plans = (stdout: string) => stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, string>);

  it('prints one JSON plan per secret, in config order: wait for a fresh secret, stand aside for a young AWSPENDING', async () => {
    const fresh = await secret();
    const live = await secret(true);
    const file = await configFile('now', [
      { secretId: fresh.secretId, schedule: 'rate(30 days)' },
      { secretId: live.secretId, schedule: 'rate(30 days)', window: '4h' },
    ]);
    const before = [await allVersions(client, fresh.secretId), await allVersions(client, live.secretId)];

    const { code, stdout, stderr } = await credstage(['schedule', '--config', file, '--dry-run']);

    expect(code, stderr).toBe(0);
    expect(stderr).toBe('');
    const [wait, elsewhere] = plans(stdout);
    expect(plans(stdout)).toHaveLength(2);
    // The plan is anchored on AWSCURRENT's CreatedDate from ListSecretVersionIds. moto 5.2 answers
    // that with the time of the call instead of the version's creation, so the anchor is checked
    // as a range here: from the secret's creation to the end of the run.
    const lastRotatedAtMs = Date.parse(wait!['lastRotatedAt']!);
    expect(lastRotatedAtMs).toBeGreaterThanOrEqual(fresh.createdAtMs);
    expect(lastRotatedAtMs).toBeLessThanOrEqual(Date.now());
    const dueAtMs = lastRotatedAtMs + 30 * DAY_MS;
    expect(wait).toMatchObject({
      secretId: fresh.secretId,
      schedule: 'rate(30 days)',
      action: 'wait',
      dueAt: new Date(dueAtMs).toISOString(),
      windowEndsAt: new Date(dueAtMs + 60 * MINUTE_MS).toISOString(),
      clientRequestToken: rotationToken(fresh.secretId, dueAtMs),
    });
    // The jittered start lies in the first half of the (default 1h) window.
    expect(Date.parse(wait!['startAt']!)).toBeGreaterThanOrEqual(dueAtMs);
    expect(Date.parse(wait!['startAt']!)).toBeLessThanOrEqual(dueAtMs + 30 * MINUTE_MS);
    expect(elsewhere).toMatchObject({ secretId: live.secretId, action: 'in-progress-elsewhere', clientRequestToken: live.pendingId });
    expect(Date.parse(elsewhere!['windowEndsAt']!) - Date.parse(elsewhere!['dueAt']!)).toBe(4 * 60 * MINUTE_MS);
    // A dry run writes nothing.
    expect([await allVersions(client, fresh.secretId), await allVersions(client, live.secretId)]).toEqual(before);
    expect(leakedPasswords(stdout + stderr, password, `${password}-next`)).toEqual([]);
  });

  it('plans to rotate a due secret (with the due time’s token) and to resume an old AWSPENDING with its own', async () => {
    const due = await secret();
    const stale = await secret(true);
    const { schedule, dueAtMs } = dailyCronDueSoon(due.createdAtMs);
    const file = await configFile('later', [
      { secretId: due.secretId, schedule },
      { secretId: stale.secretId, schedule: 'rate(30 days)' },
    ]);
    const before = [await allVersions(client, due.secretId), await allVersions(client, stale.secretId)];

    // Run it as if 31 minutes after the due time: past any jittered start, and the AWSPENDING is
    // older than the 15-minute grace given to a live run.
    const { code, stdout, stderr } = await credstage(['schedule', '--config', file, '--dry-run'], {
      nodeFlags: ['--import', SHIFT_CLOCK],
      env: { CREDSTAGE_TEST_CLOCK_OFFSET_MS: String(dueAtMs + 31 * MINUTE_MS - Date.now()) },
    });

    expect(code, stderr).toBe(0);
    expect(plans(stdout)).toMatchObject([
      { secretId: due.secretId, schedule, action: 'rotate', dueAt: new Date(dueAtMs).toISOString(), clientRequestToken: rotationToken(due.secretId, dueAtMs) },
      { secretId: stale.secretId, action: 'resume', clientRequestToken: stale.pendingId },
    ]);
    expect([await allVersions(client, due.secretId), await allVersions(client, stale.secretId)]).toEqual(before);
  });

  // moto 5.2 answers ListSecretVersionIds for a missing secret with HTTP 500 (AWS: ResourceNotFoundException),
  // so only the shape of the failure is checked: exit 1, one line naming the secret.
  it('exits 1 with one line naming a listed secret that does not exist', async () => {
    const file = await configFile('missing-secret', [{ secretId: 'schedule/no-such-secret', schedule: 'rate(30 days)' }]);

    const { code, stdout, stderr } = await credstage(['schedule', '--config', file, '--dry-run']);

    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toEqual([expect.stringMatching(/^credstage: .*"schedule\/no-such-secret"/)]);
  });
});

describe('credstage schedule with a bad config', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'credstage-schedule-config-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const secrets = (...entries: object[]) => JSON.stringify({ secrets: entries });
  const cases: Array<[string, string | undefined, string]> = [
    ['a missing file', undefined, '--config'],
    ['a file that is not JSON', '{ "secrets": [', '--config'],
    ['secrets that are not a list', '{ "secrets": {} }', 'secrets'],
    ['an entry without a secretId', secrets({ schedule: 'rate(30 days)' }), 'secrets[0].secretId'],
    ['rate(2 hours) (hours must be 4 to 24)', secrets({ secretId: 'a', schedule: 'rate(30 days)' }, { secretId: 'b', schedule: 'rate(2 hours)' }), 'secrets[1].schedule'],
    ['a cron with five fields', secrets({ secretId: 'a', schedule: 'cron(0 4 * * ?)' }), 'secrets[0].schedule'],
    ['a window of 90m', secrets({ secretId: 'a', schedule: 'rate(30 days)', window: '90m' }), 'secrets[0].window'],
    ['an unknown strategy', secrets({ secretId: 'a', schedule: 'rate(30 days)', strategy: 'both' }), 'secrets[0].strategy'],
    ['a check interval under a second', JSON.stringify({ checkIntervalSeconds: 0, secrets: [{ secretId: 'a' }] }), 'checkIntervalSeconds'],
    ['a check interval of 30 days (past what setInterval honours)', JSON.stringify({ checkIntervalSeconds: 2_592_000, secrets: [{ secretId: 'a' }] }), 'checkIntervalSeconds'],
    ['a window of 5 (a number)', secrets({ secretId: 'a', schedule: 'rate(30 days)', window: 5 }), 'secrets[0].window'],
    [
      'a bad rotation block (checked at start-up, not when a rotation falls due)',
      secrets({ secretId: 'a' }, { secretId: 'b' }, { secretId: 'c', rotation: { strategy: 'single-user' } }),
      'secrets[2].rotation.strategy',
    ],
  ];

  it.each(cases)('%s: exits 2 with one error line naming the field', async (name, content, field) => {
    const file = join(dir, `${name.replace(/\W+/g, '-')}.json`);
    if (content !== undefined) await writeFile(file, content);

    const { code, stdout, stderr } = await credstage(['schedule', '--config', file, '--endpoint', servers().moto.endpoint]);

    expect(code).toBe(2);
    expect(stdout).toBe('');
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]!.startsWith(`credstage: option "${field}" `)).toBe(true);
  });
});

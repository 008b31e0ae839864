import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { rotationToken } from '../../../src/rotation/index.js';
import { servers } from '../../support/servers.js';
import { asPostgresAdmin, logsIn, rotatableSecret } from '../rotation/support.js';
import { CLI, currentCreatedAtMs, dailyCronDueSoon, leakedPasswords, LineProcess, SHIFT_CLOCK } from './support.js';
import { holderOf, readStage } from '../../support/stages.js';
import { motoClient } from '../../support/moto.js';

const MINUTE_MS = 60_000;

/** `credstage schedule --config <file>` with its clock `aheadOfDueMs` past the due time. */
function schedule(configFile: string, dueAtMs: number, aheadOfDueMs: number): LineProcess {
  return LineProcess.start(CLI, ['schedule', '--config', configFile], {
    nodeFlags: ['--import', SHIFT_CLOCK],
    env: { CREDSTAGE_TEST_CLOCK_OFFSET_MS: String(dueAtMs + aheadOfDueMs - Date.now()) },
  });
}

/** Opens a transaction that updates the role's catalog row, so the engine's ALTER USER waits for it. */
async function holdRole(username: string): Promise<{ release: () => Promise<void> }> {
  const { host, port, user, password, database } = servers().postgres;
  const locker = new pg.Client({ host, port, user, password, database });
  await locker.connect();
  await locker.query('BEGIN');
  await locker.query(`ALTER ROLE ${locker.escapeIdentifier(username)} CONNECTION LIMIT -1`);
  return {
    release: async () => {
      await locker.query('ROLLBACK');
      await locker.end();
    },
  };
}

/** Resolves once a session of `username` waits on a lock in ALTER USER: the rotation is inside setSecret. */
async function alterUserWaiting(username: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const waiting = await asPostgresAdmin((c) =>
      c.query("SELECT 1 FROM pg_stat_activity WHERE usename = $1 AND wait_event_type = 'Lock' AND query ILIKE 'ALTER USER%'", [username]),
    );
    if (waiting.rowCount! > 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no ALTER USER of ${username} waiting within ${timeoutMs} ms`);
}

const events = (run: LineProcess, name: string) => run.json().filter((e) => e['event'] === name);

describe('credstage schedule: SIGTERM in the middle of a rotation', () => {
  afterEach(() => LineProcess.killAll());

  let client: SecretsManagerClient;
  let dir: string;

  beforeAll(async () => {
    client = motoClient({ maxAttempts: 3 });
    dir = await mkdtemp(join(tmpdir(), 'credstage-schedule-'));
  });
  afterAll(async () => {
    client.destroy();
    await rm(dir, { recursive: true, force: true });
  });

  it('stops between steps, exits 0, and the next run resumes the rotation with the same token', async () => {
    const { secretId, versionId, username, password } = await rotatableSecret(client, 'postgres', 'single-user');
    const { schedule: expression, dueAtMs } = dailyCronDueSoon(await currentCreatedAtMs(client, secretId));
    const token = rotationToken(secretId, dueAtMs);
    const configFile = join(dir, 'sigterm.json');
    const { endpoint, region } = servers().moto;
    await writeFile(configFile, JSON.stringify({ endpoint, region, checkIntervalSeconds: 3600, secrets: [{ secretId, schedule: expression, window: '1h' }] }));
    const role = await holdRole(username);

    // Past the latest jittered start (half of the 1h window), still inside the window.
    const first = schedule(configFile, dueAtMs, 31 * MINUTE_MS);
    try {
      await first.waitForEvent('step', (e) => e['step'] === 'createSecret');
      await alterUserWaiting(username);
      first.signal('SIGTERM');
      await first.waitForEvent('stopping');
    } finally {
      await role.release(); // setSecret goes on; the stop takes effect before testSecret
    }
    const stopped = await first.exited();

    expect(stopped.code, stopped.stderr).toBe(0);
    expect(stopped.stderr).toBe('');
    expect(events(first, 'stopped')).toHaveLength(1);
    expect(events(first, 'rotation-started')).toMatchObject([{ clientRequestToken: token, reason: 'rotate' }]);
    // setSecret, under way when SIGTERM came, finished; testSecret never started.
    expect(events(first, 'step').map((e) => e['step'])).toEqual(['createSecret', 'setSecret']);
    expect(events(first, 'rotation-succeeded')).toEqual([]);
    expect(events(first, 'rotation-failed')).toEqual([]);
    expect(events(first, 'retry')).toEqual([]);
    expect(await holderOf(client, secretId, 'AWSCURRENT')).toBe(versionId);
    expect(await holderOf(client, secretId, 'AWSPENDING')).toBe(token);
    const pending = await readStage(client, secretId, 'AWSPENDING');
    // The database takes AWSPENDING's password: clients with credstage's recovery keep connecting.
    expect(await logsIn(pending.value)).toBe(true);

    // Later (past the 15-minute grace for a live run's AWSPENDING) a new process resumes it.
    const second = schedule(configFile, dueAtMs, 50 * MINUTE_MS);
    const done = await second.waitForEvent('rotation-succeeded');
    second.signal('SIGTERM');
    const resumed = await second.exited();

    expect(resumed.code, resumed.stderr).toBe(0);
    expect(events(second, 'rotation-started')).toMatchObject([{ clientRequestToken: token, reason: 'resume' }]);
    expect(done['clientRequestToken']).toBe(token);
    expect(await holderOf(client, secretId, 'AWSCURRENT')).toBe(token);
    expect(await holderOf(client, secretId, 'AWSPREVIOUS')).toBe(versionId);
    expect(await holderOf(client, secretId, 'AWSPENDING')).toBe(await holderOf(client, secretId, 'AWSCURRENT')); // left on AWSCURRENT, as Secrets Manager leaves it
    const current = await readStage(client, secretId, 'AWSCURRENT');
    expect(current.value.password).toBe(pending.value.password);
    expect(await logsIn(current.value)).toBe(true);
    expect(await logsIn({ ...current.value, password })).toBe(false);
    const printed = first.stdout + first.stderr + second.stdout + second.stderr;
    expect(leakedPasswords(printed, password, pending.value.password)).toEqual([]);
  });
});

import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runRotationStep } from '../../../src/rotation/index.js';
import { motoClient } from '../../support/moto.js';
import { servers } from '../../support/servers.js';
import { leakedPasswords, LineProcess } from '../cli/support.js';
import { asPostgresAdmin, createDbUser, rotatableSecret } from '../rotation/support.js';
import { request, startService, stop } from './support.js';

/**
 * One rotation by credstage's engine, step by step as a Lambda runs it; `inWindow` runs after the
 * password changed and before AWSCURRENT moves — the window in which AWSCURRENT is stale.
 */
async function rotate(client: SecretsManagerClient, secretId: string, inWindow: () => Promise<void>): Promise<void> {
  const token = randomUUID();
  const step = (Step: 'createSecret' | 'setSecret' | 'testSecret' | 'finishSecret') =>
    runRotationStep({ SecretId: secretId, ClientRequestToken: token, Step }, { secretsManager: client, strategy: 'single-user', selfHosted: true });
  await step('createSecret');
  await step('setSecret');
  await step('testSecret');
  await inWindow();
  await step('finishSecret');
}

/** Sends requests one after another until `running()` turns false; resolves the statuses seen. */
async function steadyRequests(send: (seq: number) => Promise<number>, running: () => boolean): Promise<number[]> {
  const statuses: number[] = [];
  // Bounded: at most 2,000 requests, whatever happens.
  for (let seq = 0; running() && seq < 2_000; seq++) statuses.push(await send(seq));
  return statuses;
}

describe('examples run against the test servers', () => {
  let client: SecretsManagerClient;
  beforeAll(() => {
    client = motoClient({ maxAttempts: 3 });
  });
  afterAll(() => client.destroy());
  afterEach(() => LineProcess.killAll());

  it('redshift-app keeps answering through rotations, also when new connections open while AWSCURRENT is stale', async () => {
    const { secretId, username, password } = await rotatableSecret(client, 'postgres', 'single-user');
    const { run, url } = await startService('redshift-app/server.ts', { SECRET_ID: secretId });
    expect((await request(`${url}/whoami`)).body).toEqual({ user: username });
    const healthz = async (): Promise<number> => (await request(`${url}/healthz`)).status;

    let rotating = true;
    let gate: Promise<void> = Promise.resolve();
    const load = steadyRequests(async () => {
      await gate;
      return healthz();
    }, () => rotating);
    const burst: number[] = [];
    try {
      for (let i = 0; i < 2; i++) {
        await rotate(client, secretId, async () => {
          let open!: () => void;
          gate = new Promise((resolve) => (open = resolve));
          try {
            // With no request in flight, end the app's idle connections (pg drops them from the
            // pool), then send a burst: every request needs a new login while AWSCURRENT is stale.
            await new Promise((resolve) => setTimeout(resolve, 100));
            await asPostgresAdmin((c) => c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [username]));
            await new Promise((resolve) => setTimeout(resolve, 200));
            burst.push(...(await Promise.all(Array.from({ length: 5 }, healthz))));
          } finally {
            open();
          }
        });
      }
    } finally {
      rotating = false;
    }
    const statuses = await load;
    const after = await request(`${url}/whoami`);
    const { stdout, stderr } = await stop(run);

    expect(statuses.length).toBeGreaterThan(0);
    expect([...statuses, ...burst].filter((s) => s !== 200)).toEqual([]);
    expect(burst).toHaveLength(10);
    expect(stdout).toMatch(/credentials: \S+ rejected, using \S+ \(from pending\)/);
    expect(after).toEqual({ status: 200, body: { user: username } });
    expect(leakedPasswords(stdout + stderr, password)).toEqual([]);
  });

  it('documentdb-ec2-app after/ serves notes through rotations, new connections after each one logging in with the new password', async () => {
    const { secretId, password } = await rotatableSecret(client, 'mongo', 'single-user');
    const db = `notes_${randomBytes(4).toString('hex')}`;
    const { run, url } = await startService('documentdb-ec2-app/after/app.ts', { SECRET_ID: secretId, DB_NAME: db });

    let rotating = true;
    const post = async (seq: number | string): Promise<number> =>
      (await request(`${url}/notes`, { method: 'POST', body: JSON.stringify({ id: `n${seq}`, text: `note ${seq}` }) })).status;
    const load = steadyRequests(post, () => rotating);
    // Sequential requests reuse one pooled connection, logged in before the rotation: a burst
    // makes the driver open new ones, which must log in with the new password.
    const burst: number[] = [];
    const sendBurst = async (round: number): Promise<void> => {
      burst.push(...(await Promise.all(Array.from({ length: 8 }, (_, i) => post(`burst-${round}-${i}`)))));
    };
    try {
      for (let i = 0; i < 2; i++) {
        await rotate(client, secretId, () => new Promise((resolve) => setTimeout(resolve, 300)));
        await sendBurst(i);
      }
    } finally {
      rotating = false;
    }
    const statuses = await load;
    const listed = await request(`${url}/notes`);
    const { stdout, stderr } = await stop(run);

    expect(statuses.length).toBeGreaterThan(0);
    expect([...statuses, ...burst].filter((s) => s !== 201)).toEqual([]);
    expect(burst).toHaveLength(16);
    // Each rotation made the app log in again with the new password (the old one is refused).
    expect((stdout.match(/^credentials: now \S+ \(version \S+, auth-failure\)$/gm) ?? []).length).toBeGreaterThanOrEqual(2);
    expect(listed.status).toBe(200);
    expect((listed.body as unknown[]).length).toBe(Math.min(20, statuses.length + burst.length));
    expect(leakedPasswords(stdout + stderr, password)).toEqual([]);
  });

  it('documentdb-ec2-app before/ serves notes from its config file', async () => {
    const username = `before_${randomBytes(4).toString('hex')}`;
    // The seed's app pastes the password into a URI: give it one that needs no escaping.
    const password = randomBytes(12).toString('hex');
    await createDbUser('mongo', username, password);
    const dir = mkdtempSync(join(tmpdir(), 'credstage-before-'));
    const configFile = join(dir, 'config.json');
    const { host, port } = servers().ferretdb;
    writeFileSync(configFile, JSON.stringify({ host, port, username, password, database: `notes_${username}`, tlsCAFile: '', tls: false }));
    try {
      const { run, url } = await startService('documentdb-ec2-app/before/app.ts', { CONFIG_FILE: configFile });

      const posted = await request(`${url}/notes`, { method: 'POST', body: JSON.stringify({ id: 'n1', text: 'hello' }) });
      const listed = await request(`${url}/notes`);
      await stop(run);

      expect(posted).toEqual({ status: 201, body: { id: 'n1' } });
      expect(listed.body).toMatchObject([{ _id: 'n1', text: 'hello' }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

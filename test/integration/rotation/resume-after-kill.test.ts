import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rotateSecret } from '../../../src/rotation/index.js';
import type { RotationStrategyName } from '../../../src/rotation/index.js';
import { servers } from '../../support/servers.js';
import { ENGINES, STRATEGIES, logsIn, rotatableSecret } from './support.js';
import { holderOf, readStage } from '../../support/stages.js';
import { motoClient } from '../../support/moto.js';

const CHILD = fileURLToPath(new URL('./fixtures/rotate-child.ts', import.meta.url));

/** Runs the rotation in a child process that SIGKILLs itself once `killAfter` finishes. */
function rotateInChild(secretId: string, strategy: RotationStrategyName, killAfter: string): Promise<{ signal: string | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD], {
      env: {
        ...process.env,
        CREDSTAGE_TEST_ENDPOINT: servers().moto.endpoint,
        CREDSTAGE_TEST_SECRET_ID: secretId,
        CREDSTAGE_TEST_STRATEGY: strategy,
        CREDSTAGE_TEST_KILL_AFTER: killAfter,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (_code, signal) => {
      clearTimeout(timer);
      resolve({ signal, stdout, stderr });
    });
  });
}

const COMBOS = ENGINES.flatMap((engine) => STRATEGIES.map((strategy) => [engine, strategy] as const));

describe('a rotation killed between two steps is resumed by the next run', () => {
  let client: SecretsManagerClient;

  beforeAll(() => {
    client = motoClient({ maxAttempts: 3 });
  });
  afterAll(() => client.destroy());

  describe.each(COMBOS)('%s, %s', (engine, strategy) => {
    it.each(['createSecret', 'setSecret', 'testSecret'])('killed after %s', async (killAfter) => {
      const { secretId, versionId } = await rotatableSecret(client, engine, strategy);

      const child = await rotateInChild(secretId, strategy, killAfter);

      expect(child.signal, child.stderr).toBe('SIGKILL');
      expect(child.stdout).toContain(`${killAfter} done`);
      const current = await readStage(client, secretId, 'AWSCURRENT');
      const pending = await readStage(client, secretId, 'AWSPENDING');
      expect(current.versionId).toBe(versionId);
      // No lockout while the rotation waits: the database takes one of the two.
      expect((await logsIn(current.value)) || (await logsIn(pending.value))).toBe(true);

      const result = await rotateSecret({ secretId, secretsManager: client, strategy });

      expect(result.clientRequestToken).toBe(pending.versionId);
      expect(result.resumed).toBe(true);
      expect(await holderOf(client, secretId, 'AWSCURRENT')).toBe(pending.versionId);
      expect(await holderOf(client, secretId, 'AWSPREVIOUS')).toBe(versionId);
      expect(await holderOf(client, secretId, 'AWSPENDING')).toBe(await holderOf(client, secretId, 'AWSCURRENT')); // left on AWSCURRENT, as Secrets Manager leaves it
      expect(await logsIn((await readStage(client, secretId, 'AWSCURRENT')).value)).toBe(true);
    });
  });
});

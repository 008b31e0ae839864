import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { servers } from '../../support/servers.js';
import { logsIn, rotatableSecret } from './support.js';
import { holderOf, readStage } from '../../support/stages.js';
import { motoClient } from '../../support/moto.js';

const CLI = fileURLToPath(new URL('../../../src/cli.ts', import.meta.url));

function credstage(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', CLI, ...args],
      { env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('credstage rotate', () => {
  let client: SecretsManagerClient;

  beforeAll(() => {
    client = motoClient({ maxAttempts: 3 });
  });
  afterAll(() => client.destroy());

  it('rotates a secret, printing each step and a summary, and exits 0', async () => {
    const { secretId, password, versionId } = await rotatableSecret(client, 'postgres', 'single-user');

    const { code, stdout, stderr } = await credstage(['rotate', secretId, '--endpoint', servers().moto.endpoint, '--region', 'us-east-1']);

    const current = await readStage(client, secretId, 'AWSCURRENT');
    expect(code, stderr).toBe(0);
    expect(stderr).toBe('');
    const all = stdout.trim().split('\n');
    // The test server is plaintext ("ssl": false): the CLI prints the engine's one warning.
    expect(all.filter((l) => l.trim().startsWith('warning:'))).toEqual([expect.stringMatching(/without TLS because the secret says "ssl": false/)]);
    const lines = all.filter((l) => !l.trim().startsWith('warning:'));
    expect(lines.slice(1, 5).map((l) => l.trim().split(/\s+/).slice(0, 2).join(' '))).toEqual([
      'createSecret done',
      'setSecret done',
      'testSecret done',
      'finishSecret done',
    ]);
    expect(lines[5]).toContain(`AWSCURRENT is version ${current.versionId} (was ${versionId})`);
    expect(await holderOf(client, secretId, 'AWSPREVIOUS')).toBe(versionId);
    expect(await logsIn(current.value)).toBe(true);
    expect(stdout).not.toContain(password);
    expect(stdout).not.toContain(current.value.password);
  });

  it('fails with one clear line on stderr and a non-zero exit code', async () => {
    const { code, stdout, stderr } = await credstage(['rotate', 'rotation/no-such-secret', '--endpoint', servers().moto.endpoint]);

    expect(code).toBe(1);
    expect(stdout.trim()).toBe('rotating rotation/no-such-secret (single-user)');
    expect(stderr.trim().split('\n')).toEqual([
      'credstage: rotation of secret "rotation/no-such-secret" failed in createSecret: secret "rotation/no-such-secret" was not found',
    ]);
  });

  it('shows the cause with --verbose', async () => {
    const { stderr } = await credstage(['rotate', 'rotation/no-such-secret', '--endpoint', servers().moto.endpoint, '--verbose']);

    expect(stderr).toMatch(/caused by .*ResourceNotFoundException/);
  });
});

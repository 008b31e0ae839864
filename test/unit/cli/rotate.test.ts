import { describe, expect, it } from 'vitest';
import { RotationError, RotationInProgressError } from '../../../src/errors.js';
import { EXIT, type CliContext } from '../../../src/cli/context.js';
import { runCli } from '../../../src/cli/main.js';
import type { RotateSecretOptions, RotationResult } from '../../../src/rotation/types.js';

function capture(): CliContext & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l), exitCode: EXIT.OK };
}

const done = (options: RotateSecretOptions): RotationResult => {
  for (const step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const) {
    options.onStep?.({ step, outcome: 'done', durationMs: 12, detail: `${step} detail` });
  }
  return { secretId: options.secretId, clientRequestToken: 'new-version', oldVersionId: 'old-version', newVersionId: 'new-version', resumed: false, steps: [], durationMs: 48 };
};

const run = (args: string[], rotate: (o: RotateSecretOptions) => Promise<RotationResult>) => {
  const ctx = capture();
  return runCli(['node', 'credstage', ...args], ctx, { rotate }).then((code) => ({ code, ...ctx }));
};

describe('credstage rotate', () => {
  it('prints each step as it finishes and a summary, and exits 0', async () => {
    const { code, stdout, stderr } = await run(['rotate', 'app/db'], async (o) => done(o));

    expect(code).toBe(0);
    expect(stderr).toEqual([]);
    expect(stdout[0]).toBe('rotating app/db (single-user)');
    expect(stdout.slice(1, 5).map((l) => l.trim().split(/\s+/)[0])).toEqual(['createSecret', 'setSecret', 'testSecret', 'finishSecret']);
    expect(stdout[5]).toBe('rotated app/db: AWSCURRENT is version new-version (was old-version), 48 ms');
  });

  it('passes the strategy, token, endpoint, region and password policy through', async () => {
    let seen: RotateSecretOptions | undefined;
    const token = 'f'.repeat(36);

    await run(
      ['rotate', 'app/db', '--strategy', 'alternating-users', '--token', token, '--endpoint', 'http://127.0.0.1:5000', '--region', 'eu-west-1', '--password-length', '40', '--exclude-characters', '%'],
      async (o) => { seen = o; return done(o); },
    );

    expect(seen).toMatchObject({
      secretId: 'app/db',
      strategy: 'alternating-users',
      clientRequestToken: token,
      secretsManagerConfig: { endpoint: 'http://127.0.0.1:5000', region: 'eu-west-1' },
      passwordPolicy: { length: 40, excludeCharacters: '%' },
    });
  });

  it('reports a failed rotation as one line and exits 1, with the cause only under --verbose', async () => {
    const failure = new RotationError({ secretId: 'app/db', step: 'setSecret', clientRequestToken: 't', problem: 'connect ECONNREFUSED', cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }) });

    const quiet = await run(['rotate', 'app/db'], async () => { throw failure; });
    const verbose = await run(['rotate', 'app/db', '--verbose'], async () => { throw failure; });

    expect(quiet.code).toBe(EXIT.FAILED);
    expect(quiet.stderr[0]).toBe(`credstage: ${failure.message}`);
    expect(quiet.stderr.join('\n')).not.toContain('caused by');
    expect(verbose.stderr[1]).toBe('  caused by Error (ECONNREFUSED): connect ECONNREFUSED 127.0.0.1:5432');
  });

  it('exits 3 when another rotation holds AWSPENDING', async () => {
    const { code } = await run(['rotate', 'app/db'], async () => { throw new RotationInProgressError({ secretId: 'app/db', pendingVersionId: 'v' }); });

    expect(code).toBe(EXIT.IN_PROGRESS);
  });

  it('exits 2 for an unknown strategy without rotating', async () => {
    let called = false;

    const { code, stderr } = await run(['rotate', 'app/db', '--strategy', 'both'], async (o) => { called = true; return done(o); });

    expect(code).toBe(EXIT.USAGE);
    expect(called).toBe(false);
    expect(stderr[0]).toContain("argument 'both' is invalid");
  });

  it('exits 2 for a non-numeric password length', async () => {
    const { code } = await run(['rotate', 'app/db', '--password-length', 'long'], async (o) => done(o));

    expect(code).toBe(EXIT.USAGE);
  });
});

import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { credstage, LineProcess } from './support.js';

describe('credstage (the program)', () => {
  afterEach(() => LineProcess.killAll());

  it('--help lists every command and exits 0', async () => {
    const { code, stdout, stderr } = await credstage(['--help']);

    expect(code, stderr).toBe(0);
    for (const command of ['get', 'rotate', 'schedule']) expect(stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    // The demo is dev tooling (`npm run demo` from a clone), not a command of the installed package.
    expect(stdout).not.toMatch(/^  demo /m);
  });

  it('--version prints the version in package.json and exits 0', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
    const { code, stdout } = await credstage(['--version']);

    expect(code).toBe(0);
    expect(stdout.trim()).toBe(version);
  });

  it('an unknown command exits 2 with one error line and a pointer to --help', async () => {
    const { code, stdout, stderr } = await credstage(['frobnicate']);

    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toEqual(["error: unknown command 'frobnicate'", '(run with --help for usage)']);
  });

  it('a missing argument exits 2 naming it', async () => {
    const { code, stderr } = await credstage(['get']);

    expect(code).toBe(2);
    expect(stderr).toContain("missing required argument 'secretId'");
  });
});

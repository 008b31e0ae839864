import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const INDEX = fileURLToPath(new URL('../../../../src/rotation/index.ts', import.meta.url));
const LOAD = fileURLToPath(new URL('../../../../src/rotation/adapters/load.ts', import.meta.url));

/** Which drivers a fresh Node process has loaded after importing credstage/rotation and loading `engine`'s adapter. */
async function driversLoadedFor(engine: string): Promise<{ mongodb: boolean; pg: boolean }> {
  const script = `
    import { createRequire } from 'node:module';
    await import(${JSON.stringify(INDEX)});
    const { loadAdapter } = await import(${JSON.stringify(LOAD)});
    if (process.argv[1] !== 'none') await loadAdapter(process.argv[1], { connectTimeoutMs: 1000, queryTimeoutMs: 1000 });
    const loaded = Object.keys(createRequire(process.cwd() + '/').cache);
    const has = (name) => loaded.some((path) => path.includes('/node_modules/' + name + '/'));
    console.log(JSON.stringify({ mongodb: has('mongodb'), pg: has('pg') }));
  `;
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, engine], { timeout: 60_000 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!);
}

describe('driver loading', () => {
  it('loads neither driver for importing credstage/rotation alone', async () => {
    expect(await driversLoadedFor('none')).toEqual({ mongodb: false, pg: false });
  });

  it('loads pg and never mongodb for a Redshift secret', async () => {
    expect(await driversLoadedFor('redshift')).toEqual({ mongodb: false, pg: true });
  });

  it('loads mongodb and never pg for a DocumentDB secret', async () => {
    expect(await driversLoadedFor('mongo')).toEqual({ mongodb: true, pg: false });
  });
});

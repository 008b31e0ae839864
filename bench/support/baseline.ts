/**
 * The code of an earlier commit, for a benchmark row beside today's: `git archive <rev> src`
 * unpacked under `.cache/bench-baseline/<commit>/` (ignored by git), inside the repository so
 * its imports of `mongodb`, `pg` and the AWS SDK resolve to the same node_modules as today's
 * code — the rows differ only in credstage's own source.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The commit `rev` names, short, and the directory holding its `src/` (unpacked once). */
export function baselineSource(rev: string): { commit: string; dir: string } {
  const commit = execFileSync('git', ['rev-parse', '--short', `${rev}^{commit}`], { cwd: REPO, encoding: 'utf8' }).trim();
  const dir = join(REPO, '.cache', 'bench-baseline', commit);
  if (!existsSync(join(dir, 'src'))) {
    mkdirSync(dir, { recursive: true });
    const archive = execFileSync('git', ['archive', '--format=tar', commit, 'src'], { cwd: REPO, maxBuffer: 256 * 1024 * 1024 });
    execFileSync('tar', ['-x', '-C', dir], { input: archive });
  }
  return { commit, dir };
}

/** Imports `relative` (e.g. `src/documentdb/index.ts`) from the baseline's source. */
export async function importBaseline<M>(dir: string, relative: string): Promise<M> {
  return (await import(pathToFileURL(join(dir, relative)).href)) as M;
}

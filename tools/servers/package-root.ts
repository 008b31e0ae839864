import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The directory of this module. tools/ is never bundled: it runs from source, as ESM (tsx). */
function moduleDir(): string {
  return dirname(fileURLToPath(import.meta.url));
}

function isCredstageRoot(dir: string): boolean {
  const manifest = join(dir, 'package.json');
  if (!existsSync(manifest)) return false;
  try {
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === 'credstage';
  } catch {
    return false;
  }
}

/**
 * Finds the credstage checkout (the folder whose package.json is named `credstage`) by walking up
 * from this module, then from the working directory. The launchers need it for `scripts/`.
 *
 * @example
 * ```ts
 * const launcher = join(findPackageRoot(), 'scripts', 'moto_server.py');
 * ```
 */
export function findPackageRoot(): string {
  for (const start of [moduleDir(), process.cwd()]) {
    for (let dir = start; ; dir = dirname(dir)) {
      if (isCredstageRoot(dir)) return dir;
      if (dirname(dir) === dir) break;
    }
  }
  throw new Error(`credstage package root not found above ${moduleDir()} or ${process.cwd()}`);
}

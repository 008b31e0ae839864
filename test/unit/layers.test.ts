import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src', import.meta.url));

/**
 * What each folder of src/ may import besides itself: data flows one way (DESIGN.md section 1).
 * The rotation engine reaches Secrets Manager and the database through its own code, never
 * through the cache or a connection factory.
 */
const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  'errors.ts': [],
  internal: ['errors.ts'],
  // The diagnostics_channel names, messages and publish helpers: every layer above publishes.
  diagnostics: ['errors.ts', 'internal'],
  'secrets-manager': ['errors.ts', 'internal', 'diagnostics'],
  cache: ['errors.ts', 'internal', 'diagnostics', 'secrets-manager'],
  credentials: ['errors.ts', 'internal', 'diagnostics', 'secrets-manager', 'cache'],
  documentdb: ['errors.ts', 'internal', 'diagnostics', 'secrets-manager', 'cache', 'credentials'],
  redshift: ['errors.ts', 'internal', 'diagnostics', 'secrets-manager', 'cache', 'credentials'],
  mongoose: ['errors.ts', 'internal', 'diagnostics', 'secrets-manager', 'cache', 'credentials', 'documentdb'],
  rotation: ['errors.ts', 'internal', 'diagnostics', 'secrets-manager', 'credentials'],
  testing: ['errors.ts', 'internal', 'secrets-manager'],
  // The OpenTelemetry bridge reads the channels only: it never reaches into what publishes them.
  opentelemetry: ['errors.ts', 'internal', 'diagnostics'],
  cli: ['errors.ts', 'internal', 'secrets-manager', 'cache', 'credentials', 'rotation'],
  'cli.ts': ['cli'],
  'index.ts': ['errors.ts', 'internal', 'diagnostics', 'secrets-manager', 'cache', 'credentials'],
};

/** The top-level folder (or file) of src/ that `path` belongs to; `..` when it lies outside src/. */
function layerOf(path: string): string {
  const rel = relative(SRC, path);
  return rel.startsWith('..') ? '..' : (rel.split('/')[0] as string);
}

/** Every relative import (static, dynamic, re-export) of every .ts file under src/, as `from → to` layer pairs. */
function crossings(): Array<{ file: string; from: string; to: string }> {
  const files = readdirSync(SRC, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  return files.flatMap((file) => {
    const path = join(SRC, file);
    const from = layerOf(path);
    return [...readFileSync(path, 'utf8').matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) => ({
      file,
      from,
      to: layerOf(resolve(dirname(path), (m[1] as string).replace(/\.js$/, '.ts'))),
    }));
  });
}

describe('the layers of src/', () => {
  it('each folder imports only the layers below it, and nothing outside src/ (tools/, test/)', () => {
    const found = crossings();

    const wrong = found
      .filter(({ from, to }) => to !== from && !(MAY_IMPORT[from] ?? []).includes(to))
      .map(({ file, to }) => `${file} imports ${to}`);

    expect(found.length).toBeGreaterThan(100);
    expect(wrong).toEqual([]);
  });
});

import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

// The CLI's --version is fixed at build time (src/cli/version.ts), so dist/ never looks for its package.json.
const { version } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as { version: string };

export default defineConfig([
  {
    entry: {
      index: 'src/index.ts',
      'documentdb/index': 'src/documentdb/index.ts',
      'redshift/index': 'src/redshift/index.ts',
      'rotation/index': 'src/rotation/index.ts',
      'testing/index': 'src/testing/index.ts',
      'opentelemetry/index': 'src/opentelemetry/index.ts',
      'mongoose/index': 'src/mongoose/index.ts',
    },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    splitting: true,
    treeshake: true,
  },
  {
    entry: { cli: 'src/cli.ts' },
    format: ['esm'],
    sourcemap: true,
    target: 'node20',
    banner: { js: '#!/usr/bin/env node' },
    define: { __CREDSTAGE_VERSION__: JSON.stringify(version) },
    // Folds the defined version's check, so the unbuilt-source fallback is not in the bundle.
    minifySyntax: true,
  },
]);

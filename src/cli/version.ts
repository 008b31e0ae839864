// tsup.config.ts defines this as package.json's version, so the built CLI carries it as a literal.
declare const __CREDSTAGE_VERSION__: string | undefined;

/**
 * The version of credstage: written into the build by tsup; read from this repository's
 * package.json only when the source runs unbuilt (tsx, in credstage's own tests and tools).
 *
 * @example
 * ```ts
 * program.version(CREDSTAGE_VERSION);
 * ```
 */
export const CREDSTAGE_VERSION: string = typeof __CREDSTAGE_VERSION__ === 'string' ? __CREDSTAGE_VERSION__ : unbuiltVersion();

function unbuiltVersion(): string {
  // No import statement: the build drops this function, and an import of node:fs would stay behind in dist/cli.js.
  const { readFileSync } = process.getBuiltinModule('node:fs');
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

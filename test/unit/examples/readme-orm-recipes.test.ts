import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The first ts code block under `### <heading>` of README's "With your ORM" section. */
function readmeRecipe(readme: string, heading: string): string | undefined {
  const section = readme.split('\n## With your ORM\n')[1]?.split('\n## ')[0] ?? '';
  const sub = section.split(`\n### ${heading}\n`)[1]?.split('\n### ')[0] ?? '';
  return /```ts\n([\s\S]*?)```/.exec(sub)?.[1];
}

/**
 * The README part of an example file, with its repository imports turned into the ones an app
 * writes: `from '../../src/redshift/index.js'; // in your app: 'credstage/redshift'` →
 * `from 'credstage/redshift';`.
 */
async function exampleRecipe(file: string): Promise<string | undefined> {
  const text = await readFile(`${ROOT}examples/orm/${file}`, 'utf8');
  const region = /\/\/ #region readme\n([\s\S]*?)\/\/ #endregion/.exec(text)?.[1];
  return region?.replace(/from '[^']+'; \/\/ in your app: [^']*'([^']+)'/g, "from '$1';");
}

describe('README "With your ORM" recipes', () => {
  // The examples are type-checked by tsc against the real libraries; the README copies cannot be.
  it.each([
    ['Drizzle', 'drizzle.ts'],
    ['Kysely', 'kysely.ts'],
    ['Prisma', 'prisma.ts'],
  ])('the %s recipe is the type-checked one in examples/orm/%s', async (heading, file) => {
    const readme = await readFile(`${ROOT}README.md`, 'utf8');
    const fromReadme = readmeRecipe(readme, heading);
    expect(fromReadme, `README has no ts block under "### ${heading}" in "## With your ORM"`).toBeDefined();
    expect(fromReadme).toBe(await exampleRecipe(file));
  });
});

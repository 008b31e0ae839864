import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** README.md and every Markdown file under examples/. */
async function markdownFiles(): Promise<string[]> {
  const examples = (await readdir(`${ROOT}examples`, { recursive: true })).filter((f) => f.endsWith('.md')).map((f) => `examples/${f}`);
  return ['README.md', ...examples];
}

/** The fenced ts/js code blocks of a Markdown text. */
function codeBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/```(?:ts|typescript|js|javascript|mjs)\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

describe('documentation pool examples', () => {
  // pg emits 'error' on an idle pooled connection the server closes; without a listener that
  // error is thrown and ends the process. Code copied from the docs must not crash that way.
  it("attach an 'error' listener wherever they create a pool with getRedshiftPool", async () => {
    let checked = 0;
    for (const file of await markdownFiles()) {
      for (const block of codeBlocks(await readFile(`${ROOT}${file}`, 'utf8'))) {
        for (const [, name] of block.matchAll(/(?:const|let)\s+(\w+)\s*=\s*getRedshiftPool\(/g)) {
          checked++;
          expect(block, `${file}: ${name} = getRedshiftPool(...) without ${name}.on('error', ...)`).toMatch(new RegExp(`\\b${name}\\.on\\(\\s*'error'`));
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(2);
  });
});

import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url));

/** Every IAM policy document shipped in examples/ (any JSON file with a Statement). */
async function policies(): Promise<Array<{ file: string; policy: { Statement: unknown } }>> {
  const files = (await readdir(EXAMPLES, { recursive: true })).filter((f) => f.endsWith('.json') && !f.includes('node_modules'));
  const found: Array<{ file: string; policy: { Statement: unknown } }> = [];
  for (const file of files) {
    const json = JSON.parse(await readFile(`${EXAMPLES}${file}`, 'utf8')) as { Statement?: unknown };
    if (json && typeof json === 'object' && 'Statement' in json) found.push({ file, policy: json as { Statement: unknown } });
  }
  return found;
}

/** Every Resource value of a policy: ARNs and "*". */
function resourcesOf(policy: { Statement: unknown }): string[] {
  const statements = Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement];
  return statements.flatMap((s: { Resource?: string | string[] }) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource ?? []].flat()));
}

describe('example IAM policies', () => {
  it('are found (the lambda-rotation and documentdb-ec2-app examples)', async () => {
    const files = (await policies()).map((p) => p.file).sort();
    expect(files).toEqual(expect.arrayContaining(['documentdb-ec2-app/iam-policy.json', 'lambda-rotation/iam-policy.json']));
  });

  // arn:partition:service:region:account-id:resource — an empty region or account matches no secret.
  it('name every secret by a full ARN: six or more parts, with a region and an account', async () => {
    for (const { file, policy } of await policies()) {
      for (const resource of resourcesOf(policy).filter((r) => r !== '*')) {
        const parts = resource.split(':');
        expect(parts.length, `${file}: ${resource}`).toBeGreaterThanOrEqual(6);
        expect(parts[0], `${file}: ${resource}`).toBe('arn');
        expect(parts[3], `${file}: ${resource} has an empty region`).not.toBe('');
        expect(parts[4], `${file}: ${resource} has an empty account`).not.toBe('');
        expect(parts.slice(5).join(':'), `${file}: ${resource}`).not.toBe('');
      }
    }
  });
});

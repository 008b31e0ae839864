import { Command, Option } from 'commander';
import { SecretCache } from '../cache/secret-cache.js';
import { secretsManagerConfigFrom, withAwsOptions, type AwsOptions } from './aws-options.js';
import { EXIT, reportFailure, type CliContext } from './context.js';

interface GetOptions extends AwsOptions {
  stage?: string;
  versionId?: string;
  json?: boolean;
  showValue?: boolean;
}

const DB_FIELDS = ['engine', 'host', 'port', 'username', 'dbname', 'ssl', 'masterarn'] as const;

/** The fields of a database secret that are safe to print: everything but the password. */
function safeFields(secretString: string | undefined): Record<string, unknown> | undefined {
  if (secretString === undefined) return undefined;
  try {
    const json = JSON.parse(secretString) as Record<string, unknown>;
    const shown = Object.fromEntries(DB_FIELDS.filter((f) => json[f] !== undefined).map((f) => [f, json[f]]));
    return Object.keys(shown).length > 0 ? shown : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `credstage get <secretId>`: a version's metadata (and the non-secret fields of a database
 * secret); the value only with `--show-value`. Exit 0, or 1 when the secret cannot be read.
 *
 * @example
 * ```ts
 * const program = new Command('credstage').addCommand(getCommand(processContext()));
 * await program.parseAsync(['node', 'credstage', 'get', 'Applications/MyApp/Documentdb-instance', '--stage', 'AWSPENDING']);
 * ```
 */
export function getCommand(ctx: CliContext): Command {
  const command = new Command('get')
    .description('show a version of a secret: metadata by default, the value only with --show-value')
    .argument('<secretId>', 'name or ARN of the secret')
    .addOption(new Option('--stage <stage>', 'version stage: AWSCURRENT (default), AWSPENDING, AWSPREVIOUS or a label').conflicts('versionId'))
    .option('--version-id <id>', 'a version id instead of a stage')
    .option('--json', 'print JSON')
    .option('--show-value', 'also print the secret value (it will be on your screen)');
  return withAwsOptions(command).action(async (secretId: string, options: GetOptions) => {
    const cache = new SecretCache({ secretsManagerConfig: secretsManagerConfigFrom(options) });
    try {
      const selector = options.versionId ? { versionId: options.versionId } : { versionStage: options.stage };
      const version = await cache.getSecretVersion(secretId, selector);
      const out: Record<string, unknown> = {
        name: version.name,
        arn: version.arn,
        versionId: version.versionId,
        versionStages: version.versionStages,
        createdDate: version.createdDate?.toISOString(),
        kind: version.secretString !== undefined ? 'string' : 'binary',
      };
      const fields = safeFields(version.secretString);
      if (fields) out['fields'] = fields;
      if (options.showValue) out['value'] = version.secretString ?? Buffer.from(version.secretBinary ?? []).toString('base64');
      if (options.json) ctx.out(JSON.stringify(out, null, 2));
      else {
        for (const [key, value] of Object.entries(out)) {
          ctx.out(`${key.padEnd(14)} ${typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value)}`);
        }
      }
      ctx.exitCode = EXIT.OK;
    } catch (err) {
      ctx.exitCode = reportFailure(ctx, err, options.verbose === true);
    } finally {
      await cache.close();
    }
  });
}

import type { SecretsManagerClientConfig } from '@aws-sdk/client-secrets-manager';
import type { Command } from 'commander';

/** The options every command that talks to Secrets Manager takes. */
export interface AwsOptions {
  endpoint?: string;
  region?: string;
  profile?: string;
  verbose?: boolean;
}

/**
 * Adds `--endpoint`, `--region`, `--profile` and `--verbose` to a command.
 *
 * @example
 * ```ts
 * withAwsOptions(new Command('get').argument('<secretId>')).action(async (id, options) => { ... });
 * ```
 */
export function withAwsOptions(command: Command): Command {
  return command
    .option('--endpoint <url>', 'Secrets Manager endpoint (moto, LocalStack); default: AWS')
    .option('--region <region>', 'AWS region; default: from the environment')
    .option('--profile <name>', 'AWS profile from ~/.aws/config and credentials; default: AWS_PROFILE, else the default chain')
    .option('--verbose', 'on failure, also print the cause');
}

/**
 * The SecretsManagerClient config for the options.
 *
 * @example
 * ```ts
 * new SecretsManagerClient(secretsManagerConfigFrom({ endpoint: 'http://127.0.0.1:5000' }));
 * ```
 */
export function secretsManagerConfigFrom(options: AwsOptions): SecretsManagerClientConfig {
  return {
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.region ? { region: options.region } : {}),
    ...(options.profile ? { profile: options.profile } : {}),
  };
}

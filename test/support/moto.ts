import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll } from 'vitest';
import { servers } from './servers.js';

/**
 * A SecretsManagerClient for the test moto. `maxAttempts` is 1 (a test sees every error) unless
 * the test rides out moto's transient errors under load; `endpoint` points it elsewhere (a proxy).
 */
export function motoClient(options: { endpoint?: string; maxAttempts?: number } = {}): SecretsManagerClient {
  const { endpoint = servers().moto.endpoint, maxAttempts = 1 } = options;
  return new SecretsManagerClient({ endpoint, region: servers().moto.region, maxAttempts });
}

/**
 * Registers beforeAll/afterAll in the calling describe block that make one `motoClient(options)`
 * and destroy it. Read `.sm` inside tests and hooks only: it exists after beforeAll.
 */
export function useMotoClient(options: { endpoint?: string; maxAttempts?: number } = {}): { readonly sm: SecretsManagerClient } {
  let sm: SecretsManagerClient | undefined;
  beforeAll(() => {
    sm = motoClient(options);
  });
  afterAll(() => sm?.destroy());
  return {
    get sm() {
      if (sm === undefined) throw new Error('useMotoClient().sm was read outside a test: it exists only after beforeAll');
      return sm;
    },
  };
}

/** One Secrets Manager call seen by the counting middleware. */
export interface SmCall {
  command: string;
  versionStage: string | undefined;
}

/** A motoClient that records every call it sends. */
export function countingMotoClient(): { sm: SecretsManagerClient; calls: SmCall[] } {
  const sm = motoClient();
  const calls: SmCall[] = [];
  sm.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { VersionStage?: string };
      calls.push({ command: String(context.commandName).replace(/Command$/, ''), versionStage: input.VersionStage });
      return next(args);
    },
    { step: 'initialize', name: 'credstageTestCallCounter' },
  );
  return { sm, calls };
}

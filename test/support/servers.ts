import { inject } from 'vitest';

/** Where the integration project's servers listen; handed from global-setup.ts to every test file. */
export interface ServerAddresses {
  readonly moto: { readonly endpoint: string; readonly region: string };
  readonly postgres: {
    readonly host: string;
    readonly port: number;
    readonly user: string;
    readonly password: string;
    readonly database: string;
    readonly url: string;
  };
  readonly ferretdb: {
    readonly host: string;
    readonly port: number;
    readonly username: string;
    readonly password: string;
    readonly url: string;
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    credstageServers: ServerAddresses;
  }
}

/**
 * The real servers started by the integration project's global setup.
 *
 * @example
 * ```ts
 * const client = new SecretsManagerClient({ endpoint: servers().moto.endpoint, region: 'us-east-1' });
 * ```
 */
export function servers(): ServerAddresses {
  return inject('credstageServers');
}

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
  /**
   * PostgreSQL with TLS on (plaintext still accepted, so `pg_stat_ssl` can prove which one a
   * client used). Its certificate names IP 127.0.0.1 only and is signed by the CA in `caFile`.
   */
  readonly postgresTls: {
    readonly host: string;
    /** Another address of the same server, which its certificate does not name. */
    readonly unnamedHost: string;
    readonly port: number;
    readonly user: string;
    readonly password: string;
    readonly database: string;
    /** Members of this role, the superuser among them, may log in over TLS only (pg_hba.conf rejects them in plaintext). */
    readonly tlsOnlyRole: string;
    /** PEM of the CA that signed the server certificate. */
    readonly caFile: string;
    /** PEM of a CA that did not. */
    readonly otherCaFile: string;
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

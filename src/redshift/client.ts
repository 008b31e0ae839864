import type pg from 'pg';
import type { DbCredentials } from '../credentials/db-credentials.js';
import type { RedshiftSecret } from '../credentials/parse.js';
import { credentialClientClass } from './credential-client.js';
import { resolveSetup, type RedshiftCommonOptions, type RedshiftConnectionConfig } from './options.js';
import { connectWithRecovery } from './recovery.js';

/** Options of {@link getRedshiftClient}. */
export type RedshiftClientOptions = RedshiftCommonOptions & {
  /** pg Client settings (`statement_timeout`, `application_name`, ...); `host`, `port`, `database` override the secret's. */
  connectionConfig?: RedshiftConnectionConfig;
};

/** A connected pg Client; `end()` also closes the cache the factory built, and is safe to call twice. */
export type RedshiftClient = pg.Client & {
  /** The rotation-aware credentials the client logged in with. */
  readonly credentials: DbCredentials<RedshiftSecret>;
  /** Same as `end()`. */
  close(): Promise<void>;
};

/**
 * Opens one pg connection with the secret's current credentials, recovering from a rejected
 * login (rotation in progress) the way {@link getRedshiftPool} does. A rotation later does not
 * affect the open session.
 *
 * @example
 * ```ts
 * import { getRedshiftClient } from 'credstage/redshift';
 *
 * const client = await getRedshiftClient({ secretId: 'Applications/MyApp/Redshift' });
 * try {
 *   await client.query('vacuum sales');
 * } finally {
 *   await client.end();
 * }
 * ```
 */
export async function getRedshiftClient(options: RedshiftClientOptions): Promise<RedshiftClient> {
  const setup = resolveSetup(options, 'connectionConfig', options?.connectionConfig);
  const Base = credentialClientClass(setup);

  class OwnedClient extends Base {
    #ending: Promise<void> | undefined;

    get credentials(): DbCredentials<RedshiftSecret> {
      return setup.credentials;
    }

    override end(): Promise<void>;
    override end(callback: (err: Error) => void): void;
    override end(callback?: (err: Error) => void): Promise<void> | void {
      this.#ending ??= super.end().finally(() => setup.ownedCache?.close());
      if (callback === undefined) return this.#ending;
      this.#ending.then(() => (callback as (err?: Error) => void)(), callback);
    }

    close(): Promise<void> {
      return this.end();
    }
  }

  try {
    return await connectWithRecovery(setup, async () => {
      const client = new OwnedClient({ ...options.connectionConfig });
      await client.connect();
      return client;
    });
  } catch (err) {
    await setup.ownedCache?.close();
    throw err;
  }
}

import { randomUUID } from 'node:crypto';
import { CreateSecretCommand, PutSecretValueCommand, UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import { afterEach } from 'vitest';
import { InMemorySecretsManager } from '../../../../src/testing/index.js';
import { pgModule, type PgModule, type PgModuleOptions, type RedshiftEvent } from '../../../../src/redshift/index.js';
import { FakePgServer } from './fake-pg-server.js';

export const SECRET_ID = 'Applications/MyApp/Redshift';
export const PASSWORD_1 = 'pw-one:/?#%&=+';
export const PASSWORD_2 = 'pw-two:/?#%&=+';

/** A fake database with user `app`, and an in-memory Secrets Manager holding its secret. */
export class Fixture {
  readonly db = new FakePgServer();
  readonly sm = new InMemorySecretsManager();
  readonly events: RedshiftEvent[] = [];
  port = 0;

  static async start(fields: Record<string, unknown> = {}): Promise<Fixture> {
    const fixture = new Fixture();
    fixture.port = await fixture.db.listen();
    fixture.db.users.set('app', PASSWORD_1);
    await fixture.sm.send(
      new CreateSecretCommand({ Name: SECRET_ID, SecretString: fixture.secretJson({ password: PASSWORD_1, ...fields }) }),
    );
    return fixture;
  }

  secretJson(fields: Record<string, unknown>): string {
    // The fake server speaks plaintext only: its secrets say so, as a real one's must.
    return JSON.stringify({ engine: 'redshift', host: '127.0.0.1', port: this.port, username: 'app', dbname: 'dev', ssl: false, ...fields });
  }

  readonly onEvent = (event: RedshiftEvent): void => {
    this.events.push(event);
  };

  logins(outcome?: 'ok' | 'rejected' | 'error'): number {
    return this.events.filter((e) => e.type === 'login' && (outcome === undefined || e.outcome === outcome)).length;
  }

  /** PutSecretValue AWSPENDING; returns its version id. */
  async putPending(fields: Record<string, unknown>): Promise<string> {
    const token = randomUUID();
    await this.sm.send(
      new PutSecretValueCommand({ SecretId: SECRET_ID, ClientRequestToken: token, SecretString: this.secretJson(fields), VersionStages: ['AWSPENDING'] }),
    );
    return token;
  }

  /** Moves AWSCURRENT to `versionId`, as finishSecret does. */
  async promote(versionId: string, fromVersionId: string): Promise<void> {
    await this.sm.send(
      new UpdateSecretVersionStageCommand({ SecretId: SECRET_ID, VersionStage: 'AWSCURRENT', MoveToVersionId: versionId, RemoveFromVersionId: fromVersionId }),
    );
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

/**
 * For the pgModule tests: registers an afterEach (in the calling file) that ends what the test
 * made here, last made first: the clients given to `endAfterTest` (their errors ignored), the
 * modules `moduleFor` made, the fixtures `startFixture` started.
 */
export function pgModuleTestKit(): {
  startFixture(): Promise<Fixture>;
  /** pgModule for the fixture's secret, with a 2 s recovery budget; `extra` overrides. */
  moduleFor(f: Fixture, extra?: Partial<PgModuleOptions>): PgModule;
  endAfterTest<T extends { end(): Promise<void> }>(client: T): T;
} {
  const toClose: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const close of toClose.splice(0).reverse()) await close();
  });
  return {
    async startFixture() {
      const f = await Fixture.start();
      toClose.push(() => f.close());
      return f;
    },
    moduleFor(f, extra = {}) {
      const mod = pgModule({ secretId: SECRET_ID, secretsManager: f.sm, onEvent: f.onEvent, recoveryBudgetMs: 2_000, ...extra } as PgModuleOptions);
      toClose.push(() => mod.close());
      return mod;
    },
    endAfterTest(client) {
      toClose.push(() => client.end().catch(() => undefined));
      return client;
    },
  };
}

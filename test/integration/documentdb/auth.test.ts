import { inspect } from 'node:util';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { MongoClient, type MongoClientOptions } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { AuthenticationRejectedError, InvalidSecretFormatError } from '../../../src/errors.js';
import { getDocumentDbClient, type DocumentDbClientEvent } from '../../../src/documentdb/index.js';
import type { SecretsManagerLike } from '../../../src/secrets-manager/client.js';
import { newPassword } from '../../support/aws-style-rotator.js';
import { createDocumentDbSecret, createUser, useDocumentDbFixtures } from './helpers.js';
import { uniqueName } from '../../support/names.js';

describe('getDocumentDbClient with credentials the database rejects (FerretDB + moto)', () => {
  const fx = useDocumentDbFixtures();

  it('rejects a wrong password with no rotation under way with AuthenticationRejectedError, within the budget, after a bounded number of attempts', async () => {
    const username = uniqueName('app');
    await createUser(fx.admin, username, newPassword());
    const wrong = newPassword();
    const { secretId } = await createDocumentDbSecret(fx.sm, { username, password: wrong });
    const getSecretValueCalls: string[] = [];
    const counting: SecretsManagerLike = {
      send: (command: { constructor: { name: string } }) => {
        getSecretValueCalls.push(command.constructor.name);
        return fx.sm.send(command as never);
      },
    };
    let mongoClients = 0;
    const events: DocumentDbClientEvent[] = [];
    const budgetMs = 2_000;
    const startedAt = performance.now();

    const error = await getDocumentDbClient({
      secretId,
      secretsManager: counting,
      recoveryBudgetMs: budgetMs,
      onEvent: (e) => events.push(e),
      createMongoClient: (url: string, options: MongoClientOptions) => {
        mongoClients++;
        return new MongoClient(url, options);
      },
    }).catch((err: unknown) => err);
    const elapsedMs = performance.now() - startedAt;

    expect(error).toBeInstanceOf(AuthenticationRejectedError);
    expect((error as AuthenticationRejectedError).secretId).toBe(secretId);
    // Within the budget, with room for the last attempt in flight when it ran out.
    expect(elapsedMs).toBeLessThan(budgetMs + 3_000);
    // One login per distinct version: nothing newer ever appeared.
    expect(mongoClients).toBe(1);
    // Forced reads are rate-limited (one per stage per second): a handful, not a storm.
    expect(getSecretValueCalls.length).toBeLessThanOrEqual(2 * (budgetMs / 1_000 + 2));
    expect(getSecretValueCalls.every((name) => name === 'GetSecretValueCommand')).toBe(true);
    const shown = [String(error), (error as Error).stack, inspect(error, { depth: 10 }), JSON.stringify(events)].join('\n');
    expect(shown).not.toContain(wrong);
  });

  it('rejects a secret without a host with InvalidSecretFormatError naming the field', async () => {
    const secretId = `credstage/it/${uniqueName('nohost')}`;
    const password = newPassword();
    await fx.sm.send(new CreateSecretCommand({ Name: secretId, SecretString: JSON.stringify({ engine: 'mongo', username: 'u', password }) }));

    const error = await getDocumentDbClient({ secretId, secretsManager: fx.sm }).catch((err: unknown) => err);

    expect(error).toBeInstanceOf(InvalidSecretFormatError);
    expect((error as InvalidSecretFormatError).field).toBe('host');
    expect(String(error)).not.toContain(password);
  });
});

/**
 * The `error` the `credstage:rotation:step` tracing channel carries (and the rotation throws) is a
 * RotationError with the driver's or the SDK's error as its `cause`. A subscriber may walk all of
 * it — hidden properties, any depth, long strings — so no reachable string may hold a password or
 * a SecretString, however the driver quoted it.
 */
import { tracingChannel } from 'node:diagnostics_channel';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { afterEach, describe, expect, it } from 'vitest';
import { CHANNELS, type RotationStepMessage } from '../../../src/index.js';
import { runRotationStep } from '../../../src/rotation/index.js';
import type { DatabaseAdapter } from '../../../src/rotation/adapters/types.js';
import type { SecretsManagerLike } from '../../../src/secrets-manager/client.js';
import { InMemorySecretsManager } from '../../../src/testing/index.js';
import { FakeDatabase, secretIn, secretJson } from '../../support/fake-database.js';
import { reachableStrings } from './reachable.js';

const SECRET_ID = 'app/db';
const TOKEN = '11111111-2222-4333-8444-555555555555';
/** A pending password (32 characters, GetRandomPassword's default) with all three quotes, so that util.inspect has to escape it inside an object. */
const PENDING = 'New\'Pw"with`all3-padding-ABCDEFG';

/** `value` as is, with its quotes doubled (an SQL literal), inside a JSON string, and inside a JSON string inside a JSON string. */
function formsOf(value: string): string[] {
  const json = JSON.stringify(value).slice(1, -1);
  return [value, value.replaceAll("'", "''"), json, JSON.stringify(json).slice(1, -1)];
}

/** True when `text` holds PENDING in any of its forms. */
function holdsPending(text: string): boolean {
  return formsOf(PENDING).some((form) => text.includes(form));
}

/** Records every context the tracing channel publishes on `error` and `asyncEnd`. */
function listen(): { contexts: RotationStepMessage[]; stop: () => void } {
  const contexts: RotationStepMessage[] = [];
  const handlers = { error: (m: RotationStepMessage) => contexts.push(m), asyncEnd: (m: RotationStepMessage) => contexts.push(m) };
  const steps = tracingChannel(CHANNELS.rotationStep);
  steps.subscribe(handlers as never);
  return { contexts, stop: () => steps.unsubscribe(handlers as never) };
}

/** An in-memory Secrets Manager whose GetRandomPassword answers PENDING. */
function withPendingPassword(sm: InMemorySecretsManager): SecretsManagerLike {
  return {
    send: async (command: { constructor: { name: string } }) =>
      command.constructor.name === 'GetRandomPasswordCommand' ? { RandomPassword: PENDING } : sm.send(command as never),
  };
}

/** Driver errors that quote the new password somewhere a one-line message check does not look. */
const DRIVER_ERRORS: Record<string, (password: string) => Error> = {
  // pg's DatabaseError fields: the statement echoed in `internalQuery` as its SQL literal.
  'in a pg error field, as an SQL literal': (password) =>
    Object.assign(new Error('syntax error at or near "PASSWORD"'), { code: '42601', internalQuery: `ALTER USER app PASSWORD '${password.replaceAll("'", "''")}'` }),
  'deeper than six levels': (password) =>
    Object.assign(new Error('command failed'), { code: 13, errorResponse: { a: { b: { c: { d: { e: { f: { command: { updateUser: 'app', pwd: password } } } } } } } } }),
  'in a hidden property': (password) =>
    Object.defineProperty(Object.assign(new Error('request failed'), { code: 'EPROTO' }), '$request', { value: { body: `{"pwd":${JSON.stringify(password)}}` }, enumerable: false }),
  'past 10,000 characters of a string': (password) => Object.assign(new Error('too long'), { code: 'XX000', detail: `${'x'.repeat(12_000)} ${password}` }),
};

describe('rotation step errors on credstage:rotation:step', () => {
  let stop: (() => void) | undefined;
  afterEach(() => {
    stop?.();
    stop = undefined;
  });

  it.each(Object.entries(DRIVER_ERRORS))('hold no password a driver error quoted %s (error, cause and all they reach)', async (_where, driverError) => {
    const sm = new InMemorySecretsManager();
    await secretIn(sm, SECRET_ID, secretJson({ password: 'Initial-Pw-1' }));
    const db = new FakeDatabase().addUser('app', 'Initial-Pw-1');
    const secretsManager = withPendingPassword(sm);
    // The database refuses the change with an error quoting the statement (the password unchanged).
    const real = db.adapter();
    const adapter: DatabaseAdapter = {
      ...real,
      openSession: async (secret) => ({ ...(await real.openSession(secret)), setPassword: async (_username, password) => Promise.reject(driverError(password)) }),
    };
    const options = { secretsManager, adapter, selfHosted: true };
    await runRotationStep({ SecretId: SECRET_ID, ClientRequestToken: TOKEN, Step: 'createSecret' }, options);
    const listening = listen();
    stop = listening.stop;

    const thrown = await runRotationStep({ SecretId: SECRET_ID, ClientRequestToken: TOKEN, Step: 'setSecret' }, options).catch((err: unknown) => err);

    expect(listening.contexts.map((c) => c.outcome)).toEqual(['failed', 'failed']); // error, asyncEnd
    expect(listening.contexts[0]?.error).toBe(thrown);
    expect(reachableStrings(listening.contexts).filter(holdsPending)).toEqual([]);
  });

  it('hold no SecretString of a GetSecretValue answer the SDK could not parse (its hidden $response holds the body)', async () => {
    const sm = new InMemorySecretsManager();
    await secretIn(sm, SECRET_ID, secretJson({ password: 'Initial-Pw-1' }));
    const db = new FakeDatabase().addUser('app', 'Initial-Pw-1');
    const options = { secretsManager: withPendingPassword(sm), adapter: db.adapter(), selfHosted: true };
    await runRotationStep({ SecretId: SECRET_ID, ClientRequestToken: TOKEN, Step: 'createSecret' }, options);
    const pending = await sm.send(new GetSecretValueCommand({ SecretId: SECRET_ID, VersionStage: 'AWSPENDING' }));
    // As @smithy/core's deserializer middleware leaves it: a 200 answer, its body on a hidden `$response`.
    const unparsable = Object.defineProperty(new SyntaxError('Unexpected end of JSON input\n  Deserialization error: to see the raw response, inspect the hidden field {error}.$response on this object.'), '$response', {
      value: { statusCode: 200, headers: {}, body: JSON.stringify({ ARN: 'arn', Name: SECRET_ID, SecretString: pending.SecretString, VersionId: TOKEN }) },
      enumerable: false,
    });
    sm.injectFault({ command: 'GetSecretValue', error: unparsable, times: 10 });
    const listening = listen();
    stop = listening.stop;

    const thrown = await runRotationStep({ SecretId: SECRET_ID, ClientRequestToken: TOKEN, Step: 'setSecret' }, options).catch((err: unknown) => err);

    expect(thrown).toBeInstanceOf(Error);
    expect(listening.contexts.map((c) => c.outcome)).toEqual(['failed', 'failed']);
    expect(pending.SecretString).toContain(JSON.stringify(PENDING).slice(1, -1));
    const leaked = reachableStrings(listening.contexts).filter((s) => holdsPending(s) || s.includes('Initial-Pw-1'));
    expect(leaked).toEqual([]);
  });
});

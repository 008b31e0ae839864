import { inspect } from 'node:util';
import type { MongoClient } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { AuthenticationRejectedError, ClosedError } from '../../../src/errors.js';
import { AwsStyleRotator } from '../../support/aws-style-rotator.js';
import { FIRST_PASSWORD, FakeMongoClient, deferred, documentDbSetup, lostReplyError, poolClearedError, poolClearedOnNetworkError } from './fake-mongo.js';
import { ManualClock } from '../../../src/testing/manual-clock.js';

describe('DocumentDbClient across a rotation (fake server, in-memory Secrets Manager)', () => {
  it('moves to AWSPENDING after the password change and runs the rejected insert again, exactly once', async () => {
    const { server, rotator, connect, events } = await documentDbSetup();
    const client = await connect();
    const items = client.db().collection<{ _id: unknown }>('items');
    const { token } = await rotator.beginRotation(); // password changed, AWSCURRENT still old

    await items.insertOne({ _id: 'a' });

    expect(server.executed).toEqual(['insertOne(app.items)']);
    expect(server.docs('items')).toEqual([{ _id: 'a' }]);
    expect(client.versionId).toBe(token);
    expect(events.filter((e) => e.type === 'client-switch')).toEqual([expect.objectContaining({ generation: 2, versionId: token, reason: 'auth-failure' })]);
    await client.close();
  });

  it('does not run again an operation that failed after reaching the server', async () => {
    const { server, connect } = await documentDbSetup();
    const client = await connect();
    server.faults.push(lostReplyError);

    const error = await client.db().collection<{ _id: unknown }>('items').insertOne({ _id: 'a' }).catch((err: unknown) => err);

    expect(error).toMatchObject({ name: 'MongoNetworkError' });
    expect(client.stats().retries).toBe(0);
    await client.close();
  });

  it('runs again an operation whose pool was cleared under it, on the same client when nothing was rejected', async () => {
    const { server, connect } = await documentDbSetup();
    const client = await connect();
    server.faults.push(() => poolClearedError(new Error('network')));

    await client.db().collection<{ _id: unknown }>('items').insertOne({ _id: 'a' });

    expect(server.docs('items')).toHaveLength(1);
    expect(client.stats()).toMatchObject({ retries: 1, generation: 1 });
    await client.close();
  });

  it('does not run an updateOne({$inc}) again after PoolClearedOnNetworkError interrupted it in flight: applied once, and the app sees the error', async () => {
    const { server, connect } = await documentDbSetup();
    const client = await connect();
    server.docs('counters').push({ _id: 'c', n: 0 });
    server.replyFaults.push(() => poolClearedOnNetworkError()); // a heartbeat timeout failed the connection after the command went out

    const error = await client.db().collection<{ _id: string; n: number }>('counters').updateOne({ _id: 'c' }, { $inc: { n: 1 } }).catch((err: unknown) => err);

    expect(error).toMatchObject({ name: 'PoolClearedOnNetworkError' });
    expect(server.docs('counters')).toEqual([{ _id: 'c', n: 1 }]);
    expect(client.stats().retries).toBe(0);
    await client.close();
  });

  it('shares one recovery and one switch among concurrent rejected operations', async () => {
    const { sm, server, rotator, connect } = await documentDbSetup();
    const client = await connect();
    const items = client.db().collection<{ _id: unknown }>('items');
    await rotator.beginRotation();
    sm.calls.length = 0;

    await Promise.all(Array.from({ length: 10 }, (_, i) => items.insertOne({ _id: i })));

    expect(server.docs('items')).toHaveLength(10);
    expect(client.stats()).toMatchObject({ switchesAfterAuthFailure: 1, generation: 2 });
    expect(server.clients).toHaveLength(2);
    expect(sm.callCount('GetSecretValue')).toBe(1); // one AWSPENDING: it alone answers mid-rotation
    await client.close();
  });

  it('starts an operation issued while a switch away from rejected credentials is under way on the new client, without trying the rejected ones', async () => {
    const { server, events, client, switchBegun, finishLogin } = await switchHeldAtNewLogin();
    const items = client.db().collection<{ _id: unknown }>('items');
    const first = items.insertOne({ _id: 'a' }); // rejected: the switch begins
    await switchBegun();

    const second = items.insertOne({ _id: 'b' });
    await new Promise((resolve) => setTimeout(resolve, 5));
    finishLogin();
    await Promise.all([first, second]);

    expect(server.docs('items').map((d) => d._id).sort()).toEqual(['a', 'b']);
    expect(events.filter((e) => e.type === 'operation-retry')).toEqual([expect.objectContaining({ generation: 1, reason: 'auth' })]);
    expect(client.stats()).toMatchObject({ retries: 1, switchesAfterAuthFailure: 1, generation: 2 });
    await client.close();
  });

  it('starts reading a cursor made while a switch away from rejected credentials is under way on the new client, without trying the rejected ones', async () => {
    const { server, events, client, switchBegun, finishLogin } = await switchHeldAtNewLogin();
    server.docs('others').push({ _id: 1 });
    const first = client.db().collection<{ _id: unknown }>('items').insertOne({ _id: 'a' });
    await switchBegun();

    const docs = client.db().collection<{ _id: number }>('others').find({}).toArray();
    await new Promise((resolve) => setTimeout(resolve, 5));
    finishLogin();
    await first;

    expect(await docs).toEqual([{ _id: 1 }]);
    expect(events.filter((e) => e.type === 'operation-retry')).toEqual([expect.objectContaining({ generation: 1, reason: 'auth' })]);
    await client.close();
  });

  it('closes the replaced MongoClient only once the operations running on it are done', async () => {
    const { server, rotator, connect } = await documentDbSetup();
    const client = await connect();
    const items = client.db().collection<{ _id: unknown }>('items');
    const gate = deferred();
    server.gate = gate.promise;
    const inFlight = items.insertOne({ _id: 'slow' }); // logged in, waiting at the gate
    await new Promise((resolve) => setTimeout(resolve, 5));
    server.gate = undefined;
    await rotator.beginRotation();
    await items.insertOne({ _id: 'after' }); // rejected on the old client: switches
    const oldClient = server.clients[0]!;
    const closedWhileBusy = oldClient.closed;

    gate.resolve();
    await inFlight;
    await new Promise((resolve) => setTimeout(resolve, 0));

    expect(closedWhileBusy).toBe(false);
    expect(oldClient.closed).toBe(true);
    expect(server.docs('items').map((d) => d._id)).toEqual(['after', 'slow']);
    await client.close();
  });

  it('follows a new AWSCURRENT before anything fails (alternating users), at most once per interval', async () => {
    const clock = new ManualClock();
    const { server, sm, cache, connect } = await documentDbSetup({ clock });
    const client = await connect();
    const items = client.db().collection<{ _id: unknown }>('items');
    const alternate = new AwsStyleRotator({
      client: sm,
      secretId: client.secretId,
      nextSecret: (current) => ({ ...current, username: 'app_clone', password: 'clone-pw' }),
      setPassword: async (pending) => void server.passwords.set(pending.username, pending.password),
    });
    await alternate.rotate({ pauseMs: 0 });
    await cache.refresh(client.secretId);

    await items.insertOne({ _id: 1 }); // the old user still works: no switch yet (interval not over)
    clock.advance(1_000);
    await items.insertOne({ _id: 2 }); // starts the follow-up in the background
    await new Promise((resolve) => setTimeout(resolve, 10));
    await items.insertOne({ _id: 3 });

    expect(client.username).toBe('app_clone');
    expect(client.stats()).toMatchObject({ switchesToNewCurrent: 1, switchesAfterAuthFailure: 0 });
    expect(server.docs('items')).toHaveLength(3);
    await client.close();
  });

  it('rejects with AuthenticationRejectedError when no version works within the budget, after one login per version', async () => {
    const { server, connect } = await documentDbSetup({ recoveryBudgetMs: 300 });
    server.passwords.set('app', 'something else');

    const error = await connect().catch((err: unknown) => err);

    expect(error).toBeInstanceOf(AuthenticationRejectedError);
    expect(server.clients).toHaveLength(1);
    expect(String(error)).not.toContain(FIRST_PASSWORD);
  });

  it('fails operations with AuthenticationRejectedError when a rotation leaves no working version', async () => {
    const { server, connect } = await documentDbSetup({ recoveryBudgetMs: 300 });
    const client = await connect();
    server.passwords.set('app', 'changed outside the rotation');

    const error = await client.db().collection<{ _id: unknown }>('items').insertOne({ _id: 'a' }).catch((err: unknown) => err);

    expect(error).toBeInstanceOf(AuthenticationRejectedError);
    expect(server.docs('items')).toHaveLength(0);
    await client.close();
  });

  it('closes once, rejects later operations with ClosedError, and closes every MongoClient', async () => {
    const { server, connect } = await documentDbSetup();
    const client = await connect();
    const items = client.db().collection<{ _id: unknown }>('items');

    await Promise.all([client.close(), client.close()]);
    await client.close();

    await expect(items.insertOne({ _id: 'late' })).rejects.toThrow(ClosedError);
    expect(items.collectionName).toBe('items');
    expect(server.clients.every((c) => c.closed)).toBe(true);
  });

  it('never shows the password in inspect, JSON or events', async () => {
    const { rotator, connect, events } = await documentDbSetup();
    const client = await connect();
    const items = client.db().collection<{ _id: unknown }>('items');
    await rotator.beginRotation();
    await items.insertOne({ _id: 'a' });

    const shown = [inspect(client, { depth: 10 }), JSON.stringify(client), inspect(items, { depth: 10 }), JSON.stringify(events)].join('\n');

    expect(shown).toContain('docdb.example.com');
    expect(shown).not.toContain(FIRST_PASSWORD);
    await client.close();
  });
});

/**
 * A connected client, a rotation's password change done, and the login of the next MongoClient
 * held until `finishLogin()`: after the first rejected operation, `switchBegun()` resolves
 * once the switch is opening that client.
 */
async function switchHeldAtNewLogin() {
  const loginGate = deferred();
  const setup = await documentDbSetup({
    createMongoClient: (url, mongoOptions) => {
      const fake = new FakeMongoClient(setup.server, url, mongoOptions);
      setup.server.clients.push(fake);
      if (setup.server.clients.length === 2) {
        const connectNow = fake.connect.bind(fake);
        fake.connect = async () => {
          await loginGate.promise;
          return connectNow();
        };
      }
      return fake as unknown as MongoClient;
    },
  });
  const client = await setup.connect();
  await setup.rotator.beginRotation();
  const switchBegun = async (): Promise<void> => {
    while (setup.server.clients.length < 2) await new Promise((resolve) => setTimeout(resolve, 0));
  };
  return { ...setup, client, switchBegun, finishLogin: loginGate.resolve };
}

import mongoose9 from 'mongoose';
import { afterEach, describe, expect, it } from 'vitest';
import { createDocumentDbConnection, documentDbClientOf } from '../../../src/mongoose/index.js';
import { uniqueName } from '../../support/names.js';
import { servers } from '../../support/servers.js';
import { HEARTBEAT_TIMEOUT_OPTIONS, useDocumentDbFixtures, userWithSecret } from '../documentdb/helpers.js';
import { ReplyFreezeProxy } from '../documentdb/reply-freeze-proxy.js';
import { DB, mongoose8 } from './support.js';

interface Counter {
  ref: string;
  n: number;
}

describe.each([
  ['mongoose 9', mongoose9],
  ['mongoose 8', mongoose8],
] as const)('%s: a write through a model that may have reached the server runs at most once (FerretDB behind a TCP proxy + moto)', (label, mongoose) => {
  const fx = useDocumentDbFixtures();
  let proxy: ReplyFreezeProxy | undefined;
  let conn: mongoose9.Connection | undefined;

  afterEach(async () => {
    await conn?.close();
    await proxy?.close();
    conn = undefined;
    proxy = undefined;
  });

  it('does not run Model.updateOne({$inc}) again after a heartbeat timeout interrupts it (PoolClearedOnNetworkError): applied once, the app sees the error, the model keeps working', async () => {
    const { host, port } = servers().ferretdb;
    proxy = await ReplyFreezeProxy.start(host, port);
    const { secretId } = await userWithSecret(fx.sm, fx.admin, { port: proxy.port });
    // The monitor's hello times out on the frozen proxy: the in-use connection carrying the $inc is failed with PoolClearedOnNetworkError.
    conn = await createDocumentDbConnection(mongoose, { secretId, secretsManager: fx.sm, dbName: DB, mongoClientOptions: HEARTBEAT_TIMEOUT_OPTIONS });
    const collection = uniqueName('inc');
    const Counter = conn.model<Counter>('Counter', new mongoose.Schema<Counter>({ ref: { type: String, unique: true }, n: Number }), collection);
    await Counter.init(); // the unique index is built: nothing of mongoose's own is in flight when the reply freezes
    await Counter.create({ ref: 'c', n: 0 });

    proxy.freezeReplies(); // the $inc reaches FerretDB and is applied; its reply never comes back
    const outcome = await Counter.updateOne({ ref: 'c' }, { $inc: { n: 1 } }).then(
      () => 'success',
      (err: unknown) => err,
    );
    const stored = await fx.admin.db(DB).collection<Counter>(collection).findOne({ ref: 'c' });
    const { retries } = documentDbClientOf(conn)!.stats();
    console.log(`${label} at-most-once: operations ok 0 / failed 1 (the interrupted $inc, as expected) / rotations 0; $inc applied ${stored?.n ?? 0} time(s); credstage retries ${retries}`);

    expect(outcome).toMatchObject({ name: 'PoolClearedOnNetworkError' });
    expect(stored?.n).toBe(1);
    expect(retries).toBe(0);
    // New connections pass the proxy freely: the same model works again.
    await expect.poll(() => Counter.findOne({ ref: 'c' }).lean().then((doc) => doc?.n, () => 'error'), { timeout: 10_000 }).toBe(1);
  }, 30_000);
});

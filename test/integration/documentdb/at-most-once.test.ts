import { afterEach, describe, expect, it } from 'vitest';
import { getDocumentDbClient, type DocumentDbClient } from '../../../src/documentdb/index.js';
import { servers } from '../../support/servers.js';
import { HEARTBEAT_TIMEOUT_OPTIONS, useDocumentDbFixtures, userWithSecret } from './helpers.js';
import { ReplyFreezeProxy } from './reply-freeze-proxy.js';
import { uniqueName } from '../../support/names.js';

interface Counter {
  _id: string;
  n: number;
}

describe('a write that may have reached the server runs at most once (FerretDB behind a TCP proxy + moto)', () => {
  const fx = useDocumentDbFixtures();
  let proxy: ReplyFreezeProxy | undefined;
  let client: DocumentDbClient | undefined;

  afterEach(async () => {
    await client?.close();
    await proxy?.close();
    client = undefined;
    proxy = undefined;
  });

  it('does not run an updateOne({$inc}) again after a heartbeat timeout interrupts it with PoolClearedOnNetworkError: applied once, and the app sees the error', async () => {
    const { host, port } = servers().ferretdb;
    proxy = await ReplyFreezeProxy.start(host, port);
    const { secretId } = await userWithSecret(fx.sm, fx.admin, { port: proxy.port });
    // The monitor's hello times out on the frozen proxy: the pool is cleared and in-use connections are failed.
    client = await getDocumentDbClient({ secretId, secretsManager: fx.sm, mongoClientOptions: HEARTBEAT_TIMEOUT_OPTIONS });
    const name = uniqueName('inc');
    const counters = client.db('credstage_it').collection<Counter>(name);
    await counters.insertOne({ _id: 'c', n: 0 });

    proxy.freezeReplies(); // the $inc reaches FerretDB and is applied; its reply never comes back
    const outcome = await counters.updateOne({ _id: 'c' }, { $inc: { n: 1 } }).then(
      () => 'success',
      (err: unknown) => err,
    );
    const stored = await fx.admin.db('credstage_it').collection<Counter>(name).findOne({ _id: 'c' });

    expect(outcome).toMatchObject({ name: 'PoolClearedOnNetworkError' });
    expect(stored?.n).toBe(1);
    expect(client.stats().retries).toBe(0);
  });
});

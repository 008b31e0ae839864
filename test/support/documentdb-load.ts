import type { Collection } from 'mongodb';
export { NaiveDocumentDbClient, CHURNING_POOL, type NaiveMode, type NaiveClientOptions } from '../../tools/demo/peers/documentdb.js';

/**
 * What the DocumentDB rotation tests and the benchmark compare credstage with, and the mixed
 * workload they all run. No vitest imports: bench/rotation-documentdb.ts uses this file too.
 */

/** A document of the mixed workload; `_id` is chosen by the app. */
export interface LoadDoc {
  _id: string;
  run: string;
  n: number;
}

/** Runs one operation against a collection, however the client under test gets it. */
export type CollectionExec = <T>(fn: (collection: Collection<LoadDoc>) => Promise<T>) => Promise<T>;

/**
 * Inserts with app-chosen unique `_id`s (half the operations), finds by id through a cursor,
 * and `$inc` updates, so that afterwards the test can prove no write was lost or applied twice.
 * Each document is updated at most once: FerretDB's SQLite backend loses concurrent `$inc`s on
 * one document (read-modify-write), which would hide what this workload is meant to show.
 */
export function mixedWorkload(exec: CollectionExec, runId: string) {
  const inserted: string[] = [];
  let updated = 0;
  let updatesApplied = 0;
  const op = async (seq: number): Promise<void> => {
    const kind = seq % 4;
    if (kind <= 1 || updated >= inserted.length) {
      const _id = `${runId}-${seq}`;
      await exec((c) => c.insertOne({ _id, run: runId, n: 0 }));
      inserted.push(_id);
    } else if (kind === 2) {
      const id = inserted[(seq * 7919) % inserted.length]!;
      const found = await exec((c) => c.find({ _id: id }).toArray());
      if (found.length !== 1) throw new Error(`find(${id}) returned ${found.length} documents`);
    } else {
      const id = inserted[updated++]!;
      const result = await exec((c) => c.updateOne({ _id: id }, { $inc: { n: 1 } }));
      if (result.modifiedCount !== 1) throw new Error(`updateOne(${id}) modified ${result.modifiedCount} documents`);
      updatesApplied++;
    }
  };
  return { op, inserted, updatesApplied: () => updatesApplied };
}

/** Reads back what a workload wrote: ids missing, present more than once or not acknowledged, updates applied twice, the sum of `n`. */
export async function verifyWorkload(collection: Collection<LoadDoc>, runId: string, inserted: readonly string[]) {
  const docs = await collection.find({ run: runId }).toArray();
  const counts = new Map<string, number>();
  for (const doc of docs) counts.set(doc._id, (counts.get(doc._id) ?? 0) + 1);
  const missing = inserted.filter((id) => !counts.has(id));
  const duplicated = [...counts].filter(([, count]) => count > 1).map(([id]) => id);
  const unexpected = [...counts.keys()].filter((id) => !inserted.includes(id));
  const incrementSum = docs.reduce((sum, doc) => sum + doc.n, 0);
  const updatedTwice = docs.filter((doc) => doc.n > 1).map((doc) => doc._id);
  return { documents: docs.length, missing, duplicated, unexpected, incrementSum, updatedTwice };
}

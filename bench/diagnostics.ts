/**
 * `npm run bench:diagnostics`: what publishing on diagnostics_channel costs the hottest path, a
 * cached SecretCache hit, side by side in one run: no subscriber (every app that does not
 * listen), a subscriber on `credstage:cache`, and an `onEvent` callback for comparison.
 *
 * Prints CPU ns/op (median of interleaved rounds, after warm-up). Nothing leaves the process:
 * the cache reads an InMemorySecretsManager.
 */
process.env['AWS_ACCESS_KEY_ID'] ??= 'bench';
process.env['AWS_SECRET_ACCESS_KEY'] ??= 'bench';
process.env['AWS_REGION'] ??= 'us-east-1';
process.env['AWS_EC2_METADATA_DISABLED'] = 'true';

const { subscribe, unsubscribe } = await import('node:diagnostics_channel');
const { SecretCache } = await import('../src/index.js');
const { InMemorySecretsManager } = await import('../src/testing/index.js');

const SECRET_ID = 'Applications/MyApp/Documentdb-instance';
const ITERATIONS = 300_000;
const ROUNDS = 9;
const ONE_HOUR_MS = 3_600_000;

const sm = new InMemorySecretsManager();
await sm.send({ name: 'CreateSecret', input: { Name: SECRET_ID, SecretString: JSON.stringify({ password: 'bench-only' }) } });

let seen = 0;
const count = (): void => void seen++;
const plain = new SecretCache({ secretsManager: sm, ttlMs: ONE_HOUR_MS });
const withOnEvent = new SecretCache({ secretsManager: sm, ttlMs: ONE_HOUR_MS, onEvent: count });
await plain.getSecretString(SECRET_ID);
await withOnEvent.getSecretString(SECRET_ID);

/** CPU ns per cached hit over ITERATIONS awaited calls. */
async function nsPerHit(cache: InstanceType<typeof SecretCache>): Promise<number> {
  const start = process.cpuUsage();
  for (let i = 0; i < ITERATIONS; i++) await cache.getSecretString(SECRET_ID);
  const used = process.cpuUsage(start);
  return ((used.user + used.system) * 1000) / ITERATIONS;
}

// CREDSTAGE_BENCH_NO_SUBSCRIBER=1 leaves the subscriber case out: subscribing switches the channel
// object's class (that is how Node makes `hasSubscribers` cheap), and the switches between
// interleaved rounds leave the hit path's code polymorphic for the other cases too.
const withSubscriber = process.env['CREDSTAGE_BENCH_NO_SUBSCRIBER'] !== '1';
const cases: Record<string, () => Promise<number>> = {
  'no subscriber, no onEvent': () => nsPerHit(plain),
  'subscriber on credstage:cache': async () => {
    subscribe('credstage:cache', count);
    try {
      return await nsPerHit(plain);
    } finally {
      unsubscribe('credstage:cache', count);
    }
  },
  'onEvent callback (no subscriber)': () => nsPerHit(withOnEvent),
};
if (!withSubscriber) delete cases['subscriber on credstage:cache'];
const results = new Map<string, number[]>(Object.keys(cases).map((name) => [name, []]));
for (const run of Object.values(cases)) await run(); // warm-up
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, run] of Object.entries(cases)) results.get(name)!.push(await run());
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`cached SecretCache hit, CPU ns/op (median of ${ROUNDS} interleaved rounds of ${ITERATIONS.toLocaleString('en')})`);
console.log('| case | ns/op |\n| --- | ---: |');
for (const [name, xs] of results) console.log(`| ${name} | ${median(xs).toFixed(0)} |`);
if (seen === 0) throw new Error('no event was counted: the bench measured nothing');
await plain.close();
await withOnEvent.close();

/**
 * `npm run bench:cache`: credstage's SecretCache against an awaited bare Map (the floor for any
 * promise-returning API) and Powertools' SecretsProvider, side by side in one run.
 *
 * Prints one table: cached-hit CPU ns/op (median of interleaved rounds, after warm-up), GetSecretValue
 * calls for 1,000 concurrent callers of one uncached secret, and heap used by 10,000 cached 1 KB
 * secrets. Nothing leaves the process: both libraries get a real SecretsManagerClient whose
 * middleware answers GetSecretValue locally.
 *
 * Run with --expose-gc (the npm script does) so the heap figure is measured after a full GC.
 */

// The AWS SDK must never look for credentials or a region on the network: set them before it loads.
process.env['AWS_ACCESS_KEY_ID'] ??= 'bench';
process.env['AWS_SECRET_ACCESS_KEY'] ??= 'bench';
process.env['AWS_REGION'] ??= 'us-east-1';
process.env['AWS_EC2_METADATA_DISABLED'] = 'true';

const { randomBytes, randomUUID } = await import('node:crypto');
const { availableParallelism } = await import('node:os');
const { SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
const { SecretsProvider } = await import('@aws-lambda-powertools/parameters/secrets');
const { SecretCache } = await import('../src/index.js');

const SECRET_ID = 'Applications/MyApp/Documentdb-instance';
const WARMUP_ITERATIONS = 300_000;
const ITERATIONS = 300_000;
const ROUNDS = 9;
const BURST = 1_000;
const HEAP_SECRETS = 10_000;
const ONE_YEAR_S = 365 * 24 * 3600;

interface LocalSecretsManager {
  client: InstanceType<typeof SecretsManagerClient>;
  calls: number;
}

/**
 * A real SecretsManagerClient whose first middleware answers GetSecretValue after `delayMs`
 * (a macrotask, as a network answer would be), so no request leaves the process.
 */
function localSecretsManager(valueOf: (secretId: string) => string, delayMs = 1): LocalSecretsManager {
  const local: LocalSecretsManager = { client: new SecretsManagerClient({ region: 'us-east-1', maxAttempts: 1 }), calls: 0 };
  local.client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'GetSecretValueCommand') return next(args);
      local.calls++;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      const input = args.input as { SecretId: string; VersionStage?: string };
      return {
        output: {
          $metadata: { httpStatusCode: 200 },
          ARN: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${input.SecretId}-AbCdEf`,
          Name: input.SecretId,
          VersionId: '00000000-0000-4000-8000-000000000001',
          SecretString: valueOf(input.SecretId),
          VersionStages: [input.VersionStage ?? 'AWSCURRENT'],
          CreatedDate: new Date(0),
        },
        response: {},
      } as never;
    },
    { step: 'initialize', name: 'localSecretsManager', priority: 'high' },
  );
  return local;
}

const SECRET_VALUE = JSON.stringify({ engine: 'mongo', host: 'docdb.local', port: 27017, username: 'app', password: randomUUID() });

/**
 * CPU time (user + system) of this process in ns. Timing by CPU rather than wall clock keeps
 * other processes on a shared machine from inflating one contender's rounds.
 */
function cpuNs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) * 1_000;
}

// One loop per contender, each its own function, so no contender shares a call site's type feedback.
async function loopCredstage(cache: InstanceType<typeof SecretCache>, n: number, turnEvery = 0): Promise<number> {
  const start = cpuNs();
  for (let i = 0; i < n; i++) {
    await cache.getSecretString(SECRET_ID);
    if (turnEvery > 0 && i % turnEvery === 0) await turn();
  }
  return (cpuNs() - start) / n;
}

async function loopMap(get: (key: string) => Promise<string | undefined>, n: number, turnEvery = 0): Promise<number> {
  const start = cpuNs();
  for (let i = 0; i < n; i++) {
    await get(SECRET_ID);
    if (turnEvery > 0 && i % turnEvery === 0) await turn();
  }
  return (cpuNs() - start) / n;
}

async function loopPowertools(provider: InstanceType<typeof SecretsProvider>, n: number, turnEvery = 0): Promise<number> {
  const start = cpuNs();
  for (let i = 0; i < n; i++) {
    await provider.get(SECRET_ID, { maxAge: ONE_YEAR_S });
    if (turnEvery > 0 && i % turnEvery === 0) await turn();
  }
  return (cpuNs() - start) / n;
}

/** One event-loop turn, as between two requests of a server: timers due by now run. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function hitPath(turnEvery = 0): Promise<{ credstage: number; map: number; powertools: number }> {
  const cache = new SecretCache({ secretsManager: localSecretsManager(() => SECRET_VALUE).client, ttlMs: 3_600_000 });
  const provider = new SecretsProvider({ awsSdkV3Client: localSecretsManager(() => SECRET_VALUE).client });
  const map = new Map([[SECRET_ID, SECRET_VALUE]]);
  const get = async (key: string) => map.get(key);
  await cache.getSecretString(SECRET_ID);
  await provider.get(SECRET_ID, { maxAge: ONE_YEAR_S });

  await loopCredstage(cache, WARMUP_ITERATIONS);
  await loopMap(get, WARMUP_ITERATIONS);
  await loopPowertools(provider, WARMUP_ITERATIONS);
  const rounds = { credstage: [] as number[], map: [] as number[], powertools: [] as number[] };
  // Interleaved rounds: a noisy neighbour slows every contender, not one.
  for (let r = 0; r < ROUNDS; r++) {
    rounds.map.push(await loopMap(get, ITERATIONS, turnEvery));
    rounds.credstage.push(await loopCredstage(cache, ITERATIONS, turnEvery));
    rounds.powertools.push(await loopPowertools(provider, ITERATIONS, turnEvery));
  }
  if (cache.stats().fetches !== 1) throw new Error(`hit path fetched ${cache.stats().fetches} times`);
  await cache.close();
  return { credstage: median(rounds.credstage), map: median(rounds.map), powertools: median(rounds.powertools) };
}

async function coldBurst(): Promise<{ credstage: number; powertools: number }> {
  const forCache = localSecretsManager(() => SECRET_VALUE);
  const forProvider = localSecretsManager(() => SECRET_VALUE);
  const cache = new SecretCache({ secretsManager: forCache.client });
  const provider = new SecretsProvider({ awsSdkV3Client: forProvider.client });

  await Promise.all(Array.from({ length: BURST }, () => cache.getSecretString(SECRET_ID)));
  await Promise.all(Array.from({ length: BURST }, () => provider.get(SECRET_ID, { maxAge: ONE_YEAR_S })));
  await cache.close();
  return { credstage: forCache.calls, powertools: forProvider.calls };
}

async function heapFor10kSecrets(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc (npm run bench:cache does)');
  // Each answer is a fresh 1 KB string, so what the cache holds is counted, not shared with the fake.
  const local = localSecretsManager(() => randomBytes(512).toString('hex'), 0);
  const ids = Array.from({ length: HEAP_SECRETS }, (_, i) => `Applications/MyApp/secret-${String(i).padStart(5, '0')}`);
  gc();
  const before = process.memoryUsage().heapUsed;
  const cache = new SecretCache({ secretsManager: local.client, maxEntries: HEAP_SECRETS, ttlMs: 3_600_000 });
  for (let i = 0; i < ids.length; i += 500) {
    await Promise.all(ids.slice(i, i + 500).map((id) => cache.getSecretString(id)));
  }
  gc();
  const after = process.memoryUsage().heapUsed;
  if (cache.stats().size !== HEAP_SECRETS) throw new Error(`cache holds ${cache.stats().size} secrets`);
  await cache.close();
  return (after - before) / 1024 / 1024;
}

const hit = await hitPath();
// The hit path reads the clock at most once per millisecond (an unref'd timer clears the reading);
// a tight loop never lets that timer run. This row lets the event loop turn every 50 calls, as
// between a server's requests, so the clock is read as often as it would be in production.
const TURN_EVERY = 50;
const hitTurning = await hitPath(TURN_EVERY);
const burst = await coldBurst();
const heapMb = await heapFor10kSecrets();

const ratio = (ns: number, base = hit.map) => `${(ns / base).toFixed(2)}x`;
const verdict = (ok: boolean) => (ok ? 'PASS' : 'FAIL');
const rows: string[][] = [
  ['measure', 'credstage', 'awaited Map', 'Powertools', 'target', 'result'],
  [
    'cached hit, CPU ns/op (median)',
    `${hit.credstage.toFixed(0)} (${ratio(hit.credstage)})`,
    `${hit.map.toFixed(0)} (1.00x)`,
    `${hit.powertools.toFixed(0)} (${ratio(hit.powertools)})`,
    '<= 2x Map, < Powertools',
    verdict(hit.credstage <= 2 * hit.map && hit.credstage < hit.powertools),
  ],
  [
    `cached hit, loop turns every ${TURN_EVERY} calls`,
    `${hitTurning.credstage.toFixed(0)} (${ratio(hitTurning.credstage, hitTurning.map)})`,
    `${hitTurning.map.toFixed(0)} (1.00x)`,
    `${hitTurning.powertools.toFixed(0)} (${ratio(hitTurning.powertools, hitTurning.map)})`,
    '<= 2x Map, < Powertools',
    verdict(hitTurning.credstage <= 2 * hitTurning.map && hitTurning.credstage < hitTurning.powertools),
  ],
  [
    `GetSecretValue calls, ${BURST.toLocaleString('en-US')} cold callers`,
    String(burst.credstage),
    '-',
    String(burst.powertools),
    'credstage = 1',
    verdict(burst.credstage === 1),
  ],
  [
    `heap, ${HEAP_SECRETS.toLocaleString('en-US')} cached 1 KB secrets`,
    `${heapMb.toFixed(1)} MB`,
    '-',
    '-',
    '< 30 MB',
    verdict(heapMb < 30),
  ],
];
const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
const line = (row: string[]) => `| ${row.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ')} |`;
console.log(
  `credstage bench:cache - node ${process.version}, ${availableParallelism()} CPUs, ` +
    `${ROUNDS} rounds x ${ITERATIONS.toLocaleString('en-US')} awaited calls after ${WARMUP_ITERATIONS.toLocaleString('en-US')} warm-up`,
);
console.log(line(rows[0]!));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const row of rows.slice(1)) console.log(line(row));

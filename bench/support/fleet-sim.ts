import { CreateSecretCommand, PutSecretValueCommand, UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import { SecretCache } from '../../src/cache/secret-cache.js';
import type { CacheEvent } from '../../src/cache/events.js';
import { DbCredentials } from '../../src/credentials/db-credentials.js';
import { parseRedshiftSecret, type RedshiftSecret } from '../../src/credentials/parse.js';
import { fleetPolicy } from '../../src/internal/fleet-policy.js';
import { InMemorySecretsManager } from '../../src/testing/in-memory-secrets-manager.js';
import { ManualClock } from '../../src/testing/manual-clock.js';
import { AWS_QUOTAS_PER_SECOND, countsSince, QuotaSecretsManager, type ApiCounts } from './quota-secrets-manager.js';
import { seededRandom } from '../../test/support/seeded-random.js';
import { runFor, runUntil } from './simulation.js';

export type FleetKind = 'single-user' | 'alternating-users' | 'stalled' | 'steady';

export interface FleetScenario {
  kind: FleetKind;
  processes: number;
  /** Fleet size : GetSecretValue (and DescribeSecret) quota, e.g. 4 for 4 : 1. */
  ratio: number;
  /** Run the policies before issue 13 (internal knob, see src/internal/fleet-policy.ts). */
  legacy: boolean;
  seed?: number;
  ttlMs?: number;
  /** New connections per process per second. Default 1. */
  connectionsPerSecond?: number;
  /** How long the stalled rotation waits between setSecret and finishSecret. Default 120 s. */
  stallMs?: number;
  /** Steady state: simulated time measured. Default 1 h. */
  steadyMs?: number;
}

export interface FleetResult {
  scenario: FleetScenario;
  /** Calls per API in the measured span (rotation: createSecret until 60 s after finishSecret). */
  calls: Map<string, ApiCounts>;
  /** GetSecretValue calls of TTL refreshes (stale-while-revalidate) inside the span: not caused by the rotation. */
  ttlCalls: number;
  /** Latencies (ms) of every new connection started in the 30 s from setSecret. */
  connectMs: Float64Array;
  /** Per process: the latency of its first new connection started at or after setSecret. */
  firstConnectMs: Float64Array;
  failed: number;
  /** From setSecret until every process's new connections use the new version (ms); NaN if some never did. */
  convergedMs: number;
  spanMs: number;
  realMs: number;
}

const SECRET_ID = 'Applications/Fleet/Redshift';
const START_WALL_MS = Date.parse('2026-12-01T00:00:00Z');
const WARMUP_MS = 20_000;
const LOGIN_MS = 5;

function authError(username: string): Error {
  return Object.assign(new Error(`password authentication failed for user "${username}"`), { code: '28P01', severity: 'FATAL' });
}

/** The simulated database: the passwords it holds now; a login is 5 ms on the simulated clock. */
class SimDatabase {
  readonly passwords = new Map<string, string>();
  constructor(private readonly clock: ManualClock) {}

  async login(secret: RedshiftSecret): Promise<RedshiftSecret> {
    await this.clock.sleep(LOGIN_MS);
    if (this.passwords.get(secret.username) !== secret.password) throw authError(secret.username);
    return secret;
  }
}

function secretJson(username: string, password: string, masterarn?: string): string {
  return JSON.stringify({ engine: 'redshift', host: 'fleet.example.internal', port: 5439, dbname: 'dev', username, password, masterarn });
}

/** One process of the fleet: its own SecretCache and DbCredentials over the one shared Secrets Manager. */
class SimProcess {
  readonly cache: SecretCache;
  readonly credentials: DbCredentials<RedshiftSecret>;

  constructor(sm: QuotaSecretsManager, clock: ManualClock, random: () => number, ttlMs: number, onCacheEvent: (event: CacheEvent) => void) {
    this.cache = new SecretCache({ secretsManager: sm as never, clock, random, ttlMs, onEvent: onCacheEvent });
    // The factories' path: getRedshiftPool / getRedshiftClient / the DocumentDB generation logic all
    // open a connection with current() and, on a rejected login, recoverAfterAuthFailure().
    this.credentials = new DbCredentials({ cache: this.cache, secretId: SECRET_ID, parse: parseRedshiftSecret, clock, random });
  }
}

/**
 * Runs one scenario: N processes, each opening `connectionsPerSecond` new connections a second
 * at its own random phase, against one quota-enforcing Secrets Manager, through one rotation
 * (or an hour of steady state).
 */
export async function runFleet(scenario: FleetScenario): Promise<FleetResult> {
  const realStart = performance.now();
  const seed = scenario.seed ?? 1;
  const ttlMs = scenario.ttlMs ?? 300_000;
  const rate = scenario.connectionsPerSecond ?? 1;
  const clock = new ManualClock(START_WALL_MS);
  const random = seededRandom(seed);
  const inner = new InMemorySecretsManager({ clock });
  const quota = Math.max(1, Math.round(scenario.processes / scenario.ratio));
  const sm = new QuotaSecretsManager(
    inner,
    clock,
    {
      ...AWS_QUOTAS_PER_SECOND,
      // The fleet's read APIs scaled to the fleet: N processes against N / ratio per second is
      // the same load as 10,000 × ratio processes against the real 10,000.
      GetSecretValue: quota,
      DescribeSecret: quota * 4,
    },
    () => 10 + Math.floor(random() * 30), // 10-40 ms per call
  );
  const db = new SimDatabase(clock);

  const userA = 'app';
  const userB = 'app_clone';
  db.passwords.set(userA, 'pw-1');
  db.passwords.set(userB, 'pw-1b');
  // An alternating-users secret names its admin secret, as both AWS's templates and credstage's engine require.
  const masterarn = scenario.kind === 'alternating-users' ? 'arn:aws:secretsmanager:us-east-1:123456789012:secret:fleet-admin' : undefined;
  const created = await inner.send(new CreateSecretCommand({ Name: SECRET_ID, SecretString: secretJson(userA, 'pw-1', masterarn) }));
  const v1 = created.VersionId as string;

  let ttlCalls = 0;
  let counting = false;
  const onCacheEvent = (event: CacheEvent): void => {
    if (counting && (event.type === 'refresh' || event.type === 'error') && event.background) ttlCalls++;
  };

  fleetPolicy.legacy = scenario.legacy;
  const processes: SimProcess[] = [];
  try {
    for (let i = 0; i < scenario.processes; i++) processes.push(new SimProcess(sm, clock, seededRandom(seed * 1_000_003 + i), ttlMs, onCacheEvent));
  } finally {
    fleetPolicy.legacy = false;
  }

  // Timeline (monotonic ms of the simulated clock).
  const steady = scenario.kind === 'steady';
  const tCreate = steady ? Number.POSITIVE_INFINITY : WARMUP_MS + 5_000;
  const tSet = tCreate + 1_000;
  const tFinish = scenario.kind === 'stalled' ? tSet + (scenario.stallMs ?? 120_000) : tSet + 2_000;
  const tMeasureFrom = steady ? WARMUP_MS + ttlMs : tCreate;
  const tEnd = steady ? tMeasureFrom + (scenario.steadyMs ?? 3_600_000) : scenario.kind === 'alternating-users' ? tFinish + ttlMs + 5_000 : tFinish + 60_000;

  // Connection records: started at or after setSecret.
  const n = scenario.processes;
  const windowLatencies: number[] = [];
  const firstConnect = new Float64Array(n).fill(Number.NaN);
  const firstNewAt = new Float64Array(n).fill(Number.NaN);
  const lastOldAt = new Float64Array(n).fill(Number.NaN);
  let failed = 0;
  let newVersionId: string | undefined;
  const newUser = scenario.kind === 'alternating-users' ? userB : userA;

  const connect = async (i: number): Promise<void> => {
    const p = processes[i]!;
    const startedAt = clock.monotonicMs();
    try {
      const secret = await p.credentials.withRecovery((s) => db.login(s));
      if (startedAt < tSet) return;
      const endedAt = clock.monotonicMs();
      const ms = endedAt - startedAt;
      if (startedAt < tSet + 30_000) windowLatencies.push(ms);
      if (Number.isNaN(firstConnect[i]!)) firstConnect[i] = ms;
      if (secret.versionId === newVersionId) {
        if (Number.isNaN(firstNewAt[i]!)) firstNewAt[i] = endedAt;
      } else lastOldAt[i] = endedAt;
    } catch {
      if (startedAt >= tSet) {
        failed++;
        if (Number.isNaN(firstConnect[i]!)) firstConnect[i] = clock.monotonicMs() - startedAt;
      }
    }
  };

  const run = async (i: number): Promise<void> => {
    // Processes start over the warm-up, not all in one second (a deployment rolls out).
    await clock.sleep(1 + Math.floor(random() * (WARMUP_MS - 2_000)));
    const periodMs = 1_000 / rate;
    await clock.sleep(1 + Math.floor(random() * periodMs));
    while (clock.monotonicMs() < tEnd) {
      void connect(i);
      await clock.sleep(periodMs);
    }
  };
  const loops = processes.map((_, i) => run(i));

  await runUntil(clock, tMeasureFrom);
  counting = true;
  const before = sm.snapshot();
  if (!steady) {
    await runUntil(clock, tCreate);
    const password = 'pw-2';
    const pendingUser = newUser;
    const put = await runFor(
      clock,
      sm.send(
        new PutSecretValueCommand({ SecretId: SECRET_ID, SecretString: secretJson(pendingUser, password, masterarn), VersionStages: ['AWSPENDING'], ClientRequestToken: 'rotation-0001-0000-0000-000000000001' }),
      ),
    );
    newVersionId = put.VersionId as string;
    await runUntil(clock, tSet);
    db.passwords.set(pendingUser, password); // setSecret
    await runUntil(clock, tFinish);
    await runFor(clock, sm.send(new UpdateSecretVersionStageCommand({ SecretId: SECRET_ID, VersionStage: 'AWSCURRENT', MoveToVersionId: newVersionId, RemoveFromVersionId: v1 })));
  }
  await runUntil(clock, tEnd + 35_000); // lets the last connections end
  counting = false;
  const calls = countsSince(before, sm.snapshot());
  await Promise.all(loops);
  await Promise.all(processes.map((p) => p.cache.close()));

  let convergedAt = 0;
  if (!steady) {
    for (let i = 0; i < n; i++) {
      // Uses the new version: a first new-version connection, and no old one ended after it.
      const at = Math.max(firstNewAt[i]!, Number.isNaN(lastOldAt[i]!) ? 0 : lastOldAt[i]!);
      convergedAt = Number.isNaN(firstNewAt[i]!) ? Number.NaN : Math.max(convergedAt, at);
      if (Number.isNaN(convergedAt)) break;
    }
  }
  return {
    scenario,
    calls,
    ttlCalls,
    connectMs: Float64Array.from(windowLatencies),
    firstConnectMs: firstConnect.filter((x) => !Number.isNaN(x)),
    failed,
    convergedMs: steady ? Number.NaN : convergedAt - tSet,
    spanMs: tEnd - tMeasureFrom,
    realMs: performance.now() - realStart,
  };
}

/** The p-th percentile (0-100) of `values`, nearest rank. */
export function percentileOf(values: Float64Array, p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

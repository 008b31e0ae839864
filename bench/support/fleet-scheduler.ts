import { CreateSecretCommand, DescribeSecretCommand, PutSecretValueCommand, UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import { fleetPolicy } from '../../src/internal/fleet-policy.js';
import { RotationScheduler, type RotateFunction, type SchedulerEvent } from '../../src/rotation/scheduler/scheduler.js';
import { InMemorySecretsManager } from '../../src/testing/in-memory-secrets-manager.js';
import { ManualClock } from '../../src/testing/manual-clock.js';
import { AWS_QUOTAS_PER_SECOND, countsSince, QuotaSecretsManager } from './quota-secrets-manager.js';
import { seededRandom } from '../../test/support/seeded-random.js';
import { runFor, runUntil } from './simulation.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.parse('2026-11-01T00:00:00Z');
const WINDOW_MS = 2 * HOUR;

export interface SchedulerFleetResult {
  legacy: boolean;
  secrets: number;
  replicas: number;
  spanMs: number;
  callsPerHour: Map<string, { ok: number; throttled: number }>;
  due: number;
  startedInWindow: number;
  rotatedOnce: number;
  rotatedTwiceOrMore: number;
  overdue: number;
  realMs: number;
}

/**
 * 1,000 secrets × 3 replicas of RotationScheduler against one quota-enforcing Secrets Manager
 * (the real per-second quotas, not scaled), on the simulated clock. Every secret is due at the
 * same moment (created together, `rate(1 days)`, window 2 h): the worst case for a burst. Each
 * replica's checks are driven by the simulation every `checkIntervalMs` (60 s), as start() does.
 * The rotation is a stand-in for the engine's Secrets Manager calls (PutSecretValue under the
 * shared token, DescribeSecret, UpdateSecretVersionStage), 2 s apart.
 */
export async function runSchedulerFleet(legacy: boolean, secrets = 1_000, replicas = 3): Promise<SchedulerFleetResult> {
  const realStart = performance.now();
  const clock = new ManualClock(T0);
  const random = seededRandom(7);
  const inner = new InMemorySecretsManager({ clock });
  const sm = new QuotaSecretsManager(inner, clock, { ...AWS_QUOTAS_PER_SECOND }, () => 10 + Math.floor(random() * 30));
  const ids = Array.from({ length: secrets }, (_, i) => `Applications/Fleet/db-${String(i).padStart(4, '0')}`);
  for (const id of ids) await inner.send(new CreateSecretCommand({ Name: id, SecretString: 'v0' }));

  const rotate: RotateFunction = async ({ secretId, clientRequestToken }) => {
    await sm.send(new PutSecretValueCommand({ SecretId: secretId, ClientRequestToken: clientRequestToken, SecretString: `v-${clientRequestToken}`, VersionStages: ['AWSPENDING'] }));
    await clock.sleep(2_000); // setSecret, testSecret
    const described = await sm.send(new DescribeSecretCommand({ SecretId: secretId }));
    const stages = (described.VersionIdsToStages ?? {}) as Record<string, string[]>;
    const current = Object.keys(stages).find((v) => stages[v]!.includes('AWSCURRENT'));
    if (current === clientRequestToken) return; // a replica sharing the token finished it
    await sm.send(new UpdateSecretVersionStageCommand({ SecretId: secretId, VersionStage: 'AWSCURRENT', MoveToVersionId: clientRequestToken!, RemoveFromVersionId: current }));
  };

  const events: SchedulerEvent[] = [];
  fleetPolicy.legacy = legacy;
  const schedulers: RotationScheduler[] = [];
  try {
    for (let r = 0; r < replicas; r++) {
      schedulers.push(
        new RotationScheduler({
          secrets: ids.map((secretId) => ({ secretId, schedule: 'rate(1 days)', window: '2h' })),
          secretsManager: sm as never,
          rotate,
          clock,
          random: seededRandom(100 + r),
          onEvent: (e) => events.push(e),
        }),
      );
    }
  } finally {
    fleetPolicy.legacy = false;
  }

  // From 1 h before the due time to 1 h after the window: 4 simulated hours.
  const from = DAY - HOUR;
  const until = DAY + WINDOW_MS + HOUR;
  await runUntil(clock, from - 120_000);
  const loops = schedulers.map(async (s, r) => {
    await clock.sleep(1 + Math.floor(seededRandom(200 + r)() * 60_000));
    while (clock.monotonicMs() < until) {
      void s.tick();
      await clock.sleep(60_000);
    }
  });
  await runUntil(clock, from);
  const before = sm.snapshot();
  await runUntil(clock, until);
  const calls = countsSince(before, sm.snapshot());
  await runFor(clock, Promise.all(schedulers.map((s) => s.stop())));
  await runUntil(clock, until + 120_000);
  await Promise.all(loops);

  const dueAt = T0 + DAY;
  const firstStart = new Map<string, number>();
  let overdue = 0;
  for (const e of events) {
    if (e.type === 'rotation-started' && !firstStart.has(e.secretId)) firstStart.set(e.secretId, e.at.getTime());
    if (e.type === 'overdue') overdue++;
  }
  let startedInWindow = 0;
  for (const id of ids) {
    const at = firstStart.get(id);
    if (at !== undefined && at >= dueAt && at < dueAt + WINDOW_MS) startedInWindow++;
  }
  let rotatedOnce = 0;
  let rotatedTwiceOrMore = 0;
  for (const id of ids) {
    const described = await inner.send(new DescribeSecretCommand({ SecretId: id }));
    const versions = Object.keys(described.VersionIdsToStages ?? {}).length;
    if (versions === 2) rotatedOnce++;
    else if (versions > 2) rotatedTwiceOrMore++;
  }
  const hours = (until - from) / HOUR;
  const callsPerHour = new Map([...calls].map(([api, c]) => [api, { ok: c.ok / hours, throttled: c.throttled / hours }]));
  return { legacy, secrets, replicas, spanMs: until - from, callsPerHour, due: secrets, startedInWindow, rotatedOnce, rotatedTwiceOrMore, overdue, realMs: performance.now() - realStart };
}

/** Prints the scheduler table, today's policy and the new one side by side. */
export async function schedulerTable(): Promise<void> {
  console.log('\n### RotationScheduler: 1,000 secrets × 3 replicas, all due at once (rate(1 days), window 2 h), 4 simulated hours around the due time\n');
  console.log('| code | API | calls per hour (answered + throttled) | throttled per hour | quota per hour | due rotations started inside the window | secrets rotated exactly once | rotated more than once | overdue | real time |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const legacy of [true, false]) {
    const r = await runSchedulerFleet(legacy);
    for (const [api, c] of r.callsPerHour) {
      const quota = (AWS_QUOTAS_PER_SECOND as Record<string, number>)[api];
      console.log(
        `| ${legacy ? 'before' : 'new'} | ${api} | ${Math.round(c.ok + c.throttled).toLocaleString('en-US')} | ${Math.round(c.throttled).toLocaleString('en-US')} | ${quota === undefined ? '—' : (quota * 3600).toLocaleString('en-US')} | ${r.startedInWindow} / ${r.due} | ${r.rotatedOnce} | ${r.rotatedTwiceOrMore} | ${r.overdue} | ${(r.realMs / 1000).toFixed(1)} s |`,
      );
    }
  }
}

import { randomUUID } from 'node:crypto';
import { CreateSecretCommand, DescribeSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import type { SecretsManagerLike } from '../../../src/secrets-manager/client.js';
import type { DatabaseAdapter } from '../../../src/rotation/adapters/types.js';
import { rotateSecret } from '../../../src/rotation/index.js';
import { InMemorySecretsManager } from '../../../src/testing/in-memory-secrets-manager.js';
import { seededRandom } from '../seeded-random.js';
import { Controller, type Choice } from './controller.js';
import { ModelDatabase } from './model-database.js';

/**
 * A model checker for the rotation invariant (DESIGN.md section 7.1), in the style of stateless
 * explorers such as CHESS: two or three `rotateSecret` runs of one secret, every Secrets Manager
 * and database call a point where the explorer picks which run goes next or lets one die, each
 * schedule replayed from a fresh start. After every step it asserts:
 * - the database accepts the password of the version holding AWSCURRENT or of the one holding
 *   AWSPENDING (for a database without transactions, see SELF_REPAIR_GATE for the one window it
 *   allows: open only while the run that opened it lives, closed by that run);
 * - a run that reports success leaves the database accepting AWSCURRENT;
 * - once every run has stopped, AWSCURRENT logs in and at most one version holds AWSPENDING.
 *
 * Schedules come two ways: systematically (depth-first over every schedule that deviates at most
 * `maxDeviations` times from "keep running the run that ran last", delay-bounding), and seeded at
 * random. A failure carries its choices (and seed), so `replay()` repeats it exactly.
 */

export const SECRET_ID = 'Applications/MyApp/Explored';

export interface RunSpec {
  readonly name: string;
  /** Runs with the same `token` name share one ClientRequestToken; without one, the run picks (resumes or makes one up). */
  readonly token?: string;
  /** May die at any of its gates (at most `maxCrashes` deaths per schedule). */
  readonly crashable?: boolean;
}

export interface Scenario {
  readonly name: string;
  readonly strategy: 'single-user' | 'alternating-users';
  /** PostgreSQL/Redshift semantics (row locks, commit) or DocumentDB's (immediate, no locks). */
  readonly transactional: boolean;
  readonly runs: readonly RunSpec[];
  readonly maxCrashes?: number;
}

/**
 * Without transactions (DocumentDB) a run checks the stages before its password change and after
 * it; a stall between the check and the change that outlasts a whole later rotation makes the
 * change stale, and the run's own check after it repairs it. The explorer lets such a window be
 * open only while that run lives, for at most SELF_REPAIR_STEPS of its own calls. A run that dies
 * inside its window leaves the lockout until the next rotation, which logs in with AWSPREVIOUS and
 * heals it: the explorer then checks that it does, and counts the schedule in `residual`.
 */
const SELF_REPAIR_GATE = 'db.setPassword(';
/** How many of its own calls the run that opened the window may take to close it. */
const SELF_REPAIR_STEPS = 8;

export interface Violation {
  readonly scenario: string;
  readonly problem: string;
  /** Indices into each decision's options: `replay(scenario, choices)` repeats the schedule. */
  readonly choices: readonly number[];
  readonly seed: number | undefined;
  readonly trace: readonly string[];
}

export interface ExploreResult {
  readonly schedules: number;
  readonly steps: number;
  /** Schedules whose runs moved AWSCURRENT (before any last run alone): a search that never rotates proves nothing. */
  readonly completed: number;
  /** Schedules that ended in DocumentDB's residual (a run died inside its repair window), healed by the next rotation. */
  readonly residual: number;
  readonly violations: readonly Violation[];
}

interface ScheduleRun {
  readonly decisions: Decision[];
  readonly steps: number;
  readonly problem: string | undefined;
  readonly trace: string[];
  /** AWSCURRENT moved while the runs ran. */
  readonly rotated: boolean;
  /** A run died inside its repair window and the next rotation healed the lockout (DocumentDB's residual). */
  readonly residual?: boolean;
}

interface Decision {
  readonly options: number;
  readonly chosen: number;
}

/** Picks the option index at each decision of one schedule. */
type Picker = (decision: number, options: readonly Choice[], controller: Controller) => number;

const MAX_STEPS = 2_000;

/** The first option is "the run that ran last goes on", so index 0 is never a deviation. */
function optionsAt(controller: Controller, last: number | undefined, crashable: readonly boolean[], crashesLeft: number): Choice[] {
  const enabled = controller.enabled();
  const ordered = last !== undefined && enabled.includes(last) ? [last, ...enabled.filter((r) => r !== last)] : enabled;
  const options: Choice[] = ordered.map((run) => ({ run, crash: false }));
  if (crashesLeft > 0) for (const run of ordered) if (crashable[run]) options.push({ run, crash: true });
  return options;
}

async function stateOf(sm: SecretsManagerLike, secretId: string): Promise<{ current: Login | undefined; pending: Login | undefined; pendingHolders: number }> {
  const described = await sm.send(new DescribeSecretCommand({ SecretId: secretId }));
  const stages = (described.VersionIdsToStages ?? {}) as Record<string, string[]>;
  const holders = (stage: string): string[] => Object.keys(stages).filter((id) => stages[id]!.includes(stage));
  const login = async (versionId: string | undefined): Promise<Login | undefined> => {
    if (versionId === undefined) return undefined;
    const out = await sm.send(new GetSecretValueCommand({ SecretId: secretId, VersionId: versionId }));
    if (out.SecretString === undefined) return undefined;
    const value = JSON.parse(out.SecretString) as { username: string; password: string };
    return { versionId, username: value.username, password: value.password };
  };
  const pendingHolders = holders('AWSPENDING');
  return { current: await login(holders('AWSCURRENT')[0]), pending: await login(pendingHolders[0]), pendingHolders: pendingHolders.length };
}

interface Login {
  readonly versionId: string;
  readonly username: string;
  readonly password: string;
}

/**
 * What a schedule runs against: a Secrets Manager and a database, fresh for each schedule. The
 * model world is in memory; the integration tests build one over moto and the real servers.
 */
export interface World {
  /** Secrets Manager itself: the runs' calls reach it through their gates, the checks directly. */
  readonly sm: SecretsManagerLike;
  readonly secretId: string;
  /** The adapter of run `run`, every call a gate of that run; run -1 runs alone, ungated. */
  adapterFor(run: number): DatabaseAdapter;
  /** Whether the database accepts these credentials now. */
  accepts(login: { readonly username: string; readonly password: string }): Promise<boolean>;
  close?(): Promise<void>;
}

export type WorldFactory = (scenario: Scenario, controller: Controller) => Promise<World>;

/** The in-memory world: InMemorySecretsManager and the ModelDatabase. */
export const modelWorld: WorldFactory = async (scenario, controller) => {
  const db = new ModelDatabase(controller, scenario.transactional);
  const sm = new InMemorySecretsManager();
  const initial = { engine: 'postgres', host: 'db.internal', port: 5432, dbname: 'app', username: 'app', password: 'Initial-Pw-1' };
  if (scenario.strategy === 'single-user') {
    db.addUser('app', initial.password);
    await sm.send(new CreateSecretCommand({ Name: SECRET_ID, SecretString: JSON.stringify(initial) }));
  } else {
    db.addUser('master', 'Master-Pw-1', { superuser: true }).addUser('app', initial.password, { roles: ['app_rw'] });
    const master = await sm.send(new CreateSecretCommand({ Name: 'Applications/MyApp/Master', SecretString: JSON.stringify({ ...initial, username: 'master', password: 'Master-Pw-1' }) }));
    await sm.send(new CreateSecretCommand({ Name: SECRET_ID, SecretString: JSON.stringify({ ...initial, masterarn: master.ARN }) }));
  }
  return { sm, secretId: SECRET_ID, adapterFor: (run) => db.adapterFor(run), accepts: async (login) => db.accepts(login.username, login.password) };
};

/** How a schedule is run: the world it runs in, and how long a run may take between gates. */
export interface ExploreOptions {
  readonly world?: WorldFactory;
  /**
   * Real servers: a run still between gates after this long is taken to be blocked in the
   * database (waiting on a lock another run holds). Without it, runs must reach a gate within
   * turns of the event loop (the model world).
   */
  readonly settleQuietMs?: number;
}

/** Runs one schedule; returns its decisions and the first violation, if any. */
async function runSchedule(scenario: Scenario, pick: Picker, options: ExploreOptions = {}): Promise<ScheduleRun> {
  const controller = new Controller({ settleQuietMs: options.settleQuietMs });
  const world = await (options.world ?? modelWorld)(scenario, controller);
  try {
    return await drive(scenario, pick, controller, world);
  } finally {
    await controller.stopAll();
    await world.close?.();
  }
}

async function drive(scenario: Scenario, pick: Picker, controller: Controller, world: World): Promise<ScheduleRun> {
  const { sm, secretId } = world;
  const tokens = new Map<string, string>();
  const tokenOf = (name: string): string => {
    if (!tokens.has(name)) tokens.set(name, randomUUID());
    return tokens.get(name)!;
  };
  for (const spec of scenario.runs) {
    controller.start(spec.name, (run) => {
      const gated: SecretsManagerLike = {
        send: async (command: any) => {
          await controller.gate(run, `sm.${String(command.constructor.name).replace(/Command$/, '')}`);
          return sm.send(command);
        },
      };
      return rotateSecret({
        secretId,
        secretsManager: gated,
        adapter: world.adapterFor(run),
        strategy: scenario.strategy,
        clientRequestToken: spec.token === undefined ? undefined : tokenOf(spec.token),
        clock: { now: () => 0, sleep: (ms: number) => controller.gate(run, `sleep(${ms})`) },
      } as Parameters<typeof rotateSecret>[0]);
    });
  }

  const crashable = scenario.runs.map((spec) => spec.crashable === true);
  let crashesLeft = scenario.maxCrashes ?? 1;
  const decisions: Decision[] = [];
  const reported = new Set<number>();
  let last: number | undefined;
  let lastGate: string | undefined;
  let steps = 0;
  /** A run whose non-transactional change broke the invariant, until its own repair mends it. */
  let brokenBy: number | undefined;
  /** Steps of `brokenBy` since it broke the invariant. */
  let windowSteps = 0;
  /** That run died inside its window (see SELF_REPAIR_GATE): only the next rotation heals. */
  let residual = false;
  const initialCurrent = (await stateOf(sm, secretId)).current?.versionId;
  let rotated = false;
  const violation = (problem: string): ScheduleRun => ({ decisions, steps, problem, trace: controller.trace, rotated });

  for (;;) {
    await controller.settle();
    const { current, pending, pendingHolders } = await stateOf(sm, secretId);
    const acceptsCurrent = current !== undefined && (await world.accepts(current));
    const acceptsPending = pending !== undefined && (await world.accepts(pending));
    if (!acceptsCurrent && !acceptsPending && !residual) {
      const opensWindow = brokenBy === undefined && !scenario.transactional && last !== undefined && lastGate?.startsWith(SELF_REPAIR_GATE);
      if (opensWindow) {
        brokenBy = last;
        windowSteps = 0;
      }
      const state = brokenBy === undefined ? undefined : controller.state(brokenBy);
      if (state === 'crashed') {
        // The documented residual: the run died between its late change and its repair.
        residual = true;
        controller.trace.push(`-- ${controller.name(brokenBy!)} died inside its repair window: from here on only the next rotation can heal`);
      } else if (state === undefined || state === 'done' || state === 'failed' || windowSteps > SELF_REPAIR_STEPS) {
        return violation(`the database accepts neither AWSCURRENT (${current?.versionId}) nor AWSPENDING (${pending?.versionId ?? 'none'})`);
      }
    } else if (acceptsCurrent || acceptsPending) {
      brokenBy = undefined;
    }
    if (pendingHolders > 1) return violation(`${pendingHolders} versions hold AWSPENDING`);
    for (let run = 0; run < controller.size; run++) {
      if (controller.state(run) !== 'done' || reported.has(run)) continue;
      reported.add(run);
      // A rotation that another run began after this one moved AWSCURRENT may be in its window:
      // its AWSPENDING is what logs in then, and that is the invariant's business.
      const laterWindow = pending !== undefined && acceptsPending && pending.versionId !== current?.versionId;
      if (!acceptsCurrent && !laterWindow) return violation(`${controller.name(run)} reported success while the database rejects AWSCURRENT`);
    }
    if (controller.deadlocked()) return violation('deadlock: every live run waits on a lock');
    const options = optionsAt(controller, last, crashable, crashesLeft);
    if (options.length === 0) {
      if (!controller.anyBetweenGates()) break;
      if (await controller.settleLonger()) continue;
      return violation('a run stayed blocked in the database with no other run able to move');
    }
    if (++steps > MAX_STEPS) return violation(`no end after ${MAX_STEPS} steps`);
    const chosen = pick(decisions.length, options, controller);
    const choice = options[chosen]!;
    decisions.push({ options: options.length, chosen });
    if (choice.crash) crashesLeft--;
    lastGate = controller.gateOf(choice.run);
    if (choice.run === brokenBy) windowSteps++;
    controller.apply(choice);
    last = choice.crash ? undefined : choice.run;
  }

  // A rotation cut short is resumed, never restarted: one more run, alone, must finish it.
  const stopped = await stateOf(sm, secretId);
  rotated = stopped.current?.versionId !== initialCurrent;
  if (stopped.pending !== undefined && stopped.pending.versionId !== stopped.current?.versionId) {
    controller.trace.push('-- every run stopped with a rotation pending: one more run at a time, alone, until one succeeds');
    let problem: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const alone = { secretId, secretsManager: sm, adapter: world.adapterFor(-1), strategy: scenario.strategy };
      problem = await rotateSecret(alone).then(() => undefined, (err: unknown) => err);
      if (problem === undefined || (problem as { retryable?: unknown }).retryable !== true) break;
    }
    // Only a version that no run may finish (its error says how to start over) may stay pending:
    // harmless as long as AWSCURRENT logs in, which is checked next.
    if (problem !== undefined && !String((problem as Error).message).includes('to start over')) {
      return violation(`no run alone could finish the pending rotation: ${(problem as Error).message}`);
    }
    if (problem !== undefined) controller.trace.push(`-- the pending rotation stays: ${(problem as Error).message}`);
  }
  if (residual) {
    controller.trace.push('-- the next rotation, alone, must heal it');
    const healed = await rotateSecret({ secretId, secretsManager: sm, adapter: world.adapterFor(-1), strategy: scenario.strategy }).then(() => undefined, (err: unknown) => err);
    if (healed !== undefined) return violation(`the next rotation could not heal the lockout a run left by dying inside its repair window: ${(healed as Error).message}`);
  }
  const { current, pendingHolders } = await stateOf(sm, secretId);
  if (current === undefined || !(await world.accepts(current))) {
    return violation('after every run stopped, AWSCURRENT does not log in');
  }
  if (pendingHolders > 1) return violation(`after every run stopped, ${pendingHolders} versions hold AWSPENDING`);
  return { decisions, steps, problem: undefined, trace: controller.trace, rotated, residual };
}

function noProgress(scenario: Scenario): Violation {
  return { scenario: scenario.name, problem: 'no schedule completed a rotation: the search proved nothing', choices: [], seed: undefined, trace: [] };
}

function violationOf(scenario: Scenario, run: Awaited<ReturnType<typeof runSchedule>>, seed: number | undefined): Violation {
  return { scenario: scenario.name, problem: run.problem!, choices: run.decisions.map((d) => d.chosen), seed, trace: run.trace };
}

/**
 * Every schedule with at most `maxDeviations` deviations, depth first (or the first `limit` of
 * them). Stops at the first violation.
 */
export async function exploreSystematically(scenario: Scenario, maxDeviations: number, limit = Number.POSITIVE_INFINITY, options: ExploreOptions = {}): Promise<ExploreResult> {
  let prefix: number[] = [];
  let schedules = 0;
  let steps = 0;
  let completed = 0;
  let residual = 0;
  while (schedules < limit) {
    const forced = prefix;
    const run = await runSchedule(scenario, (at) => forced[at] ?? 0, options);
    schedules++;
    steps += run.steps;
    if (run.rotated) completed++;
    if (run.residual === true) residual++;
    if (run.problem !== undefined) return { schedules, steps, completed, residual, violations: [violationOf(scenario, run, undefined)] };
    const next = nextPrefix(run.decisions, maxDeviations);
    if (next === undefined) break;
    prefix = next;
  }
  return { schedules, steps, completed, residual, violations: completed > 0 ? [] : [noProgress(scenario)] };
}

/** The deepest decision with an untried option that keeps within the bound, and its new choice. */
function nextPrefix(decisions: readonly Decision[], maxDeviations: number): number[] | undefined {
  const deviationsBefore: number[] = [];
  let count = 0;
  for (const d of decisions) {
    deviationsBefore.push(count);
    if (d.chosen !== 0) count++;
  }
  for (let i = decisions.length - 1; i >= 0; i--) {
    const d = decisions[i]!;
    if (d.chosen + 1 < d.options && deviationsBefore[i]! + 1 <= maxDeviations) {
      return [...decisions.slice(0, i).map((x) => x.chosen), d.chosen + 1];
    }
  }
  return undefined;
}

/** `count` schedules from seeds `firstSeed`, `firstSeed + 1`, …; a death is tried at ~5 % of decisions. */
export async function exploreRandomly(scenario: Scenario, count: number, firstSeed = 1, options: ExploreOptions = {}): Promise<ExploreResult> {
  let steps = 0;
  let completed = 0;
  let residual = 0;
  for (let i = 0; i < count; i++) {
    const seed = firstSeed + i;
    const random = seededRandom(seed);
    const run = await runSchedule(scenario, (_at, options) => {
      const alive = options.filter((o) => !o.crash).length;
      if (alive < options.length && random() < 0.05) return alive + Math.floor(random() * (options.length - alive));
      return Math.floor(random() * alive);
    }, options);
    steps += run.steps;
    if (run.rotated) completed++;
    if (run.residual === true) residual++;
    if (run.problem !== undefined) return { schedules: i + 1, steps, completed, residual, violations: [violationOf(scenario, run, seed)] };
  }
  return { schedules: count, steps, completed, residual, violations: completed > 0 || count === 0 ? [] : [noProgress(scenario)] };
}

/** Repeats one schedule by its choices (from a Violation). */
export async function replay(scenario: Scenario, choices: readonly number[], options: ExploreOptions = {}): Promise<string | undefined> {
  return (await runSchedule(scenario, (at) => choices[at] ?? 0, options)).problem;
}

/** A violation as text for a test failure: the problem, how to replay it, and its steps. */
export function describeViolation(v: Violation): string {
  const how = v.seed === undefined ? `choices [${v.choices.join(',')}]` : `seed ${v.seed} (choices [${v.choices.join(',')}])`;
  return `${v.scenario}: ${v.problem}\nreplay: ${how}\n  ${v.trace.join('\n  ')}`;
}

/** What a hand-written schedule sees at each decision. */
export interface ScheduleView {
  /** Names of the runs that may go next. */
  readonly enabled: readonly string[];
  /** The call `run` waits to make, e.g. `db.setPassword(app)` or `sm.DescribeSecret`. */
  gateOf(run: string): string | undefined;
}

/**
 * Runs one hand-written schedule: `next` names the run to go on at each decision (an enabled
 * one). Resolves the violation found (undefined when none) and the steps taken, so a test can
 * check that the story it tells really happened. For regressions stated as a story.
 */
export async function runStory(scenario: Scenario, next: (view: ScheduleView) => string, options: ExploreOptions = {}): Promise<{ problem: string | undefined; trace: readonly string[] }> {
  const run = await runSchedule(scenario, (_at, options, controller) => {
    const alive = options.filter((o) => !o.crash);
    const byName = new Map(alive.map((o) => [controller.name(o.run), o.run]));
    const view: ScheduleView = {
      enabled: [...byName.keys()],
      gateOf: (name) => (byName.has(name) ? controller.gateOf(byName.get(name)!) : undefined),
    };
    const named = next(view);
    // `!A`: run A dies at the gate it waits at (the scenario must mark it crashable).
    const crash = named.startsWith('!');
    const name = crash ? named.slice(1) : named;
    const chosen = byName.get(name);
    if (chosen === undefined) throw new Error(`story: ${name} cannot go next (enabled: ${view.enabled.join(', ')})`);
    const index = options.findIndex((o) => o.crash === crash && o.run === chosen);
    if (index < 0) throw new Error(`story: ${name} cannot die here (not crashable, or no deaths left)`);
    return index;
  }, options);
  return { problem: run.problem === undefined ? undefined : `${run.problem}\n  ${run.trace.join('\n  ')}`, trace: run.trace };
}

/**
 * A story in phases: each phase lets one run go on until `until` says its phase is over (given
 * the gate that run waits at next); a run that cannot go on ends its phase early. After the last
 * phase, runs go in order.
 */
export function phases(...steps: ReadonlyArray<{ run: string; until: (gate: string) => boolean }>): (view: ScheduleView) => string {
  let phase = 0;
  return (view) => {
    for (; phase < steps.length; phase++) {
      const { run, until } = steps[phase]!;
      const gate = view.gateOf(run);
      if (gate !== undefined && !until(gate)) return run;
    }
    return view.enabled[0]!;
  };
}

import { defaultMaxListeners, setMaxListeners } from 'node:events';
import { isRetryableError, RotationInProgressError, ThrottledError } from '../../errors.js';
import { sleepOn, type Clock, type RandomSource } from '../../internal/clock.js';
import type { BackoffOptions } from '../../internal/backoff.js';
import { fleetPolicy } from '../../internal/fleet-policy.js';
import { retryOnClock } from '../../internal/retry.js';
import { emitSafely } from '../../internal/emit.js';
import { publishScheduler } from '../../diagnostics/publish.js';
import { createSecretsManagerClient, type SecretsManagerLike } from '../../secrets-manager/client.js';
import { resolveSchedulerOptions } from './options.js';
import { planSecret, readRotationFacts, type SecretPlan } from './plan.js';
import type { RotationSchedule } from './schedule.js';
import type { RotateFunction, RotationSchedulerOptions, ScheduledRotationOptions, ScheduledSecret, SchedulerEvent, SecretStatus } from './types.js';

export type { RotateFunction, RotationSchedulerOptions, ScheduledRotationOptions, ScheduledSecret, SchedulerEvent, SecretStatus } from './types.js';

interface Tracked {
  readonly config: Readonly<ScheduledSecret>;
  readonly schedule: RotationSchedule | undefined;
  status: SecretStatus;
  jitter: { dueAt: number; value: number } | undefined;
  running: Promise<void> | undefined;
  ownToken: string | undefined;
  notBefore: number;
}

/**
 * A secret whose next start is far off is checked again after about this long (jittered to
 * [1/2, 1] of it), not at every check: 1,000 secrets × 3 replicas checked every minute were
 * 50 ListSecretVersionIds a second, all in the first second of each minute. An hour still
 * notices within the hour a rotation done by hand or a changed RotationRules.
 */
const IDLE_RECHECK_MS = 3_600_000;
/** Up to this many secrets are checked at once (the control-plane quota per second); more are spread over the check interval. */
const CHECK_AT_ONCE = 50;

/** A scheduler event as an emit site writes it: `at` is stamped by `#emit`. */
type SchedulerEventInput<E = SchedulerEvent> = E extends SchedulerEvent ? Omit<E, 'at'> : never;

function errorInfo(err: unknown): { code: string; message: string } {
  const e = err as { code?: unknown; message?: unknown; name?: unknown };
  return { code: typeof e.code === 'string' ? e.code : String(e.name ?? 'Error'), message: String(e.message ?? err) };
}

/**
 * Rotates a set of secrets on their schedules without Lambda. Several schedulers may run for
 * the same secrets (replicas): they coordinate only through Secrets Manager. Each derives the
 * rotation's ClientRequestToken from the secret and the due time, so every replica names the
 * same AWSPENDING version, and one found under that token is resumed at once (also after a
 * restart). A young AWSPENDING under another token is another run's (a manual one); an old one is
 * resumed. Failed attempts retry with jittered backoff inside the window; a rotation still
 * unfinished when its window closes is reported as overdue. Every option is checked in the
 * constructor: a bad one throws InvalidOptionError naming its path (`secrets[1].window`).
 *
 * @example
 * ```ts
 * import { RotationScheduler } from 'credstage/rotation';
 *
 * const scheduler = new RotationScheduler({
 *   secrets: [{ secretId: 'Applications/MyApp/Documentdb-instance', schedule: 'rate(30 days)', window: '3h' }],
 *   onEvent: (event) => console.log(JSON.stringify(event)),
 * });
 * scheduler.start();
 * process.on('SIGTERM', () => void scheduler.stop());
 * ```
 */
export class RotationScheduler {
  readonly #client: SecretsManagerLike;
  /** The client the scheduler built itself (none when one was passed in): released by stop(). */
  readonly #ownedClient: SecretsManagerLike | undefined;
  readonly #rotate: RotateFunction;
  readonly #rotation: Readonly<ScheduledRotationOptions> | undefined;
  readonly #checkIntervalMs: number;
  readonly #backoff: Readonly<Required<BackoffOptions>>;
  readonly #graceMs: number;
  readonly #clock: Clock;
  readonly #random: RandomSource;
  readonly #onEvent: ((event: SchedulerEvent) => void) | undefined;
  readonly #tracked: Tracked[];
  readonly #abort = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<void> | undefined;
  /** The policies before issue 13 (bench/fleet.ts compares them); never set in production. */
  readonly #legacy = fleetPolicy.legacy;

  constructor(options: RotationSchedulerOptions) {
    const config = resolveSchedulerOptions(options);
    this.#rotate = config.rotate ?? defaultRotate;
    this.#rotation = config.rotation;
    this.#checkIntervalMs = config.checkIntervalMs;
    this.#backoff = config.backoff;
    this.#graceMs = config.inProgressGraceMs;
    this.#clock = config.clock;
    this.#random = config.random;
    this.#onEvent = config.onEvent;
    this.#tracked = config.secrets.map(({ config: secret, schedule }) => ({
      config: secret,
      schedule,
      status: emptyStatus(secret.secretId),
      jitter: undefined,
      running: undefined,
      ownToken: undefined,
      notBefore: 0,
    }));
    // One listener per running rotation (see #runSignal): at most one per secret, by design.
    setMaxListeners(Math.max(defaultMaxListeners, this.#tracked.length + 1), this.#abort.signal);
    // Built last: a bad option above must not leave a client behind.
    this.#ownedClient = config.secretsManager ? undefined : createSecretsManagerClient({ maxAttempts: 3, ...config.secretsManagerConfig });
    this.#client = config.secretsManager ?? this.#ownedClient!;
  }

  /**
   * Checks schedules now and every `checkIntervalMs` until `stop()`.
   *
   * @example
   * ```ts
   * scheduler.start();
   * ```
   */
  start(): void {
    if (this.#timer || this.#abort.signal.aborted) return;
    this.#timer = setInterval(() => void this.tick(), this.#checkIntervalMs);
    void this.tick();
  }

  /**
   * Stops checking, lets running rotations stop at their next step boundary, and waits for
   * them. Safe to call twice. What was left unfinished is resumed by the next run.
   *
   * @example
   * ```ts
   * process.on('SIGTERM', () => void scheduler.stop());
   * ```
   */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#abort.abort();
    await this.#ticking;
    await Promise.allSettled(this.#tracked.map((t) => t.running));
    this.#ownedClient?.destroy?.();
  }

  /**
   * What each secret's schedule says now, without rotating anything (`--dry-run`).
   *
   * @example
   * ```ts
   * for (const plan of await scheduler.plan()) console.log(plan.secretId, plan.action, plan.dueAt);
   * ```
   */
  async plan(): Promise<SecretPlan[]> {
    return Promise.all(this.#tracked.map((t) => this.#planFor(t)));
  }

  /**
   * Where each secret stands: state, plan, attempts, overdue, last error.
   *
   * @example
   * ```ts
   * const overdue = scheduler.status().filter((s) => s.overdue);
   * ```
   */
  status(): SecretStatus[] {
    return this.#tracked.map((t) => ({ ...t.status }));
  }

  /**
   * One check of every schedule: starts the rotations that are due. Called by the timer;
   * callable directly in tests. Resolves when the check is done (rotations run on).
   *
   * @example
   * ```ts
   * await scheduler.tick();
   * ```
   */
  tick(): Promise<void> {
    this.#ticking ??= this.#checkAll().finally(() => (this.#ticking = undefined));
    return this.#ticking;
  }

  /** Resolves when every rotation started so far has ended. For tests and the CLI. */
  async idle(): Promise<void> {
    await Promise.allSettled(this.#tracked.map((t) => t.running));
  }

  async #checkAll(): Promise<void> {
    const due = this.#tracked.filter((t) => !t.running && this.#clock.now() >= t.notBefore);
    // Many checks at once are a burst against Secrets Manager's per-second quotas (shared by the
    // account): beyond a second's worth they are spread evenly over the interval.
    const spacingMs = this.#legacy || due.length <= CHECK_AT_ONCE ? 0 : (this.#checkIntervalMs * 0.9) / due.length;
    await Promise.all(
      due.map(async (tracked, i) => {
        if (spacingMs > 0 && i > 0) await sleepOn(this.#clock, Math.round(i * spacingMs), this.#abort.signal);
        if (tracked.running || this.#abort.signal.aborted || this.#clock.now() < tracked.notBefore) return;
        let plan: SecretPlan;
        try {
          plan = await this.#planFor(tracked);
        } catch (err) {
          // A throttled check is tried again at a random point of the next interval, not in step with every other one.
          if (!this.#legacy && err instanceof ThrottledError) tracked.notBefore = this.#clock.now() + this.#random() * this.#checkIntervalMs;
          tracked.status.lastError = errorInfo(err);
          this.#emit({ type: 'error', secretId: tracked.config.secretId, error: tracked.status.lastError });
          return;
        }
        tracked.status.plan = plan;
        this.#reportOverdue(tracked, plan);
        if (plan.action === 'wait') {
          tracked.status.state = 'waiting';
          // Nothing to do before the start: look again then, or after about an hour, whichever is first.
          if (!this.#legacy) tracked.notBefore = Math.min(plan.startAt.getTime(), this.#clock.now() + IDLE_RECHECK_MS * (0.5 + this.#random() / 2));
        }
        else if (plan.action === 'in-progress-elsewhere') {
          tracked.status.state = 'in-progress-elsewhere';
          this.#emit({ type: 'skipped', secretId: plan.secretId, reason: 'another process holds AWSPENDING', clientRequestToken: plan.clientRequestToken });
        } else {
          tracked.running = this.#run(tracked, plan).finally(() => (tracked.running = undefined));
        }
      }),
    );
  }

  async #planFor(tracked: Tracked): Promise<SecretPlan> {
    const state = await readRotationFacts(this.#client, tracked.config.secretId, tracked.schedule, tracked.config.window);
    const dueAt = state.schedule.nextDueAfter(state.lastRotatedAt);
    // One jitter per due time, so repeated checks agree on the start.
    if (tracked.jitter?.dueAt !== dueAt) tracked.jitter = { dueAt, value: this.#random() };
    return planSecret(tracked.config.secretId, state, {
      nowMs: this.#clock.now(),
      jitter: tracked.jitter.value,
      inProgressGraceMs: this.#graceMs,
      ownToken: tracked.ownToken,
    });
  }

  async #run(tracked: Tracked, plan: SecretPlan): Promise<void> {
    const { secretId } = plan;
    const token = plan.clientRequestToken;
    tracked.ownToken = token;
    tracked.status.state = 'rotating';
    this.#emit({ type: 'rotation-started', secretId, clientRequestToken: token, dueAt: plan.dueAt, reason: plan.action });
    const windowLeftMs = Math.max(0, plan.windowEndsAt.getTime() - this.#clock.now());
    const run = this.#runSignal();
    // The retry loop rejects with the abort reason even after an attempt that succeeded while stop() ran.
    let finished = false;
    try {
      await retryOnClock(
        async () => {
          await this.#rotate({
            ...this.#rotation,
            ...tracked.config.rotation,
            secretId,
            secretsManager: this.#client,
            clientRequestToken: token,
            strategy: tracked.config.strategy,
            signal: run.signal,
            onStep: ({ step, durationMs, warning }) => this.#emit({ type: 'step', secretId, clientRequestToken: token, step, durationMs, ...(warning === undefined ? {} : { warning }) }),
          });
          finished = true;
        },
        {
          retries: Number.POSITIVE_INFINITY,
          maxRetryTimeMs: windowLeftMs,
          backoff: this.#backoff,
          clock: this.#clock,
          random: this.#random,
          signal: run.signal,
          shouldRetry: (error) => !this.#abort.signal.aborted && !(error instanceof RotationInProgressError) && isRetryableError(error),
          onFailedAttempt: (error, attemptNumber) => {
            // Stopped between steps is no failed attempt: nothing to retry, nothing to warn about.
            if (error instanceof RotationInProgressError || this.#abort.signal.aborted) return;
            tracked.status.attempts++;
            tracked.status.lastError = errorInfo(error);
            tracked.status.state = 'retrying';
            this.#emit({ type: 'retry', secretId, clientRequestToken: token, attempt: attemptNumber, error: tracked.status.lastError });
          },
        },
      );
    } catch (err) {
      if (!finished) this.#settleFailure(tracked, plan, err);
    } finally {
      run.release();
    }
    if (finished) {
      tracked.ownToken = undefined;
      tracked.status = { ...emptyStatus(secretId), state: 'idle', plan, lastSucceededAt: new Date(this.#clock.now()) };
      this.#emit({ type: 'rotation-succeeded', secretId, clientRequestToken: token, dueAt: plan.dueAt });
    }
  }

  /**
   * The signal of one rotation: aborted when the scheduler stops. The retry loop and the engine add
   * their abort listeners to it, and it adds one to the scheduler's own signal until the run
   * ends. With one shared signal, a dozen secrets retrying at once went past Node's default of
   * 10 listeners and drew a MaxListenersExceededWarning.
   */
  #runSignal(): { signal: AbortSignal; release: () => void } {
    const stopped = this.#abort.signal;
    const run = new AbortController();
    const onStop = (): void => run.abort(stopped.reason);
    if (stopped.aborted) onStop();
    else stopped.addEventListener('abort', onStop, { once: true });
    return { signal: run.signal, release: () => stopped.removeEventListener('abort', onStop) };
  }

  /** After the last attempt failed: another replica's rotation, a stop, or a failure to report. */
  #settleFailure(tracked: Tracked, plan: SecretPlan, err: unknown): void {
    const { secretId, clientRequestToken: token } = plan;
    if (err instanceof RotationInProgressError) {
      tracked.ownToken = undefined;
      tracked.status.state = 'in-progress-elsewhere';
      this.#emit({ type: 'skipped', secretId, reason: 'another process holds AWSPENDING', clientRequestToken: token });
      return;
    }
    if (this.#abort.signal.aborted) return; // stopped between steps: the next run resumes
    tracked.status.state = 'failed';
    tracked.status.lastError = errorInfo(err);
    // Out of window (or a permanent error): try again after the longest backoff, not every check.
    tracked.notBefore = this.#clock.now() + this.#backoff.maxMs;
    this.#emit({ type: 'rotation-failed', secretId, clientRequestToken: token, error: tracked.status.lastError });
    this.#reportOverdue(tracked, plan);
  }

  #reportOverdue(tracked: Tracked, plan: SecretPlan): void {
    const overdue = plan.action !== 'wait' && this.#clock.now() >= plan.windowEndsAt.getTime();
    if (overdue && !tracked.status.overdue) {
      this.#emit({ type: 'overdue', secretId: plan.secretId, dueAt: plan.dueAt, clientRequestToken: plan.clientRequestToken });
    }
    tracked.status.overdue = overdue;
  }

  #emit(event: SchedulerEventInput): void {
    emitSafely(this.#onEvent, publishScheduler({ ...event, at: new Date(this.#clock.now()) }));
  }
}

function emptyStatus(secretId: string): SecretStatus {
  return { secretId, state: 'unknown', plan: undefined, attempts: 0, overdue: false, lastSucceededAt: undefined, lastError: undefined };
}

const defaultRotate: RotateFunction = async (request) => {
  const { rotateSecret } = await import('../rotate.js');
  return rotateSecret(request as Parameters<typeof rotateSecret>[0]);
};

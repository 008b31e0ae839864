import { MongoClient } from 'mongodb';
import { ClosedError } from '../errors.js';
import { emitSafely } from '../internal/emit.js';
import type { DbCredentials } from '../credentials/db-credentials.js';
import type { DocumentDbSecret } from '../credentials/parse.js';
import { monotonicMs, sleepOn } from '../internal/clock.js';
import type { DocumentDbClientEvent } from './events.js';
import { classifyFailure, describeFailure } from './failures.js';
import { Generation } from './generation.js';
import { hideCredentials } from './hidden-credentials.js';
import { mongoSettings, type DocumentDbClientConfig } from './options.js';

/** Attempts of one operation beyond the first, whatever their reason. */
export const MAX_RETRIES_PER_OPERATION = 5;
/** How often an operation may trigger a check whether AWSCURRENT moved on (a cache read). */
export const FOLLOW_CHECK_INTERVAL_MS = 1_000;
const TRANSIENT_BACKOFF_MS = { baseMs: 25, maxMs: 500 };
const REJECTED_MEMORY = 16;

/** The driver's error code, else the Node error code of its cause (`ECONNREFUSED`). */
function errorCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | undefined;
  const code = e?.code ?? e?.cause?.code;
  return typeof code === 'number' || typeof code === 'string' ? String(code) : undefined;
}

/** Counters of a client since it was created. */
export interface DocumentDbClientStats {
  /** Number of the MongoClient in use: 1 for the first; every MongoClient built counts, also one whose login failed. */
  generation: number;
  /** Switches to a new MongoClient, by reason. */
  switchesAfterAuthFailure: number;
  switchesToNewCurrent: number;
  /** Operation attempts run again after failing before they reached the server. */
  retries: number;
  /** MongoClients open now: the live one plus retired ones still finishing work. */
  openClients: number;
}

interface Switch {
  /** The generation an auth failure is moving away from; undefined for a follow-up of AWSCURRENT. */
  readonly from: Generation | undefined;
  readonly promise: Promise<void>;
}

/**
 * The machinery behind a DocumentDbClient: the live generation, switches after auth failures,
 * and the retry decision for operations that failed before reaching the server.
 */
export class ClientCore {
  readonly #creds: DbCredentials<DocumentDbSecret>;
  readonly #config: DocumentDbClientConfig;
  readonly #open = new Set<Generation>();
  readonly #rejected: string[] = [];
  readonly #stats = { switchesAfterAuthFailure: 0, switchesToNewCurrent: 0, retries: 0 };
  #live: Generation | undefined;
  #switching: Switch | undefined;
  #numbers = 0;
  #lastFollowCheck: number;
  #closed = false;

  constructor(creds: DbCredentials<DocumentDbSecret>, config: DocumentDbClientConfig) {
    this.#creds = creds;
    this.#config = config;
    this.#lastFollowCheck = config.clock.now();
  }

  get secretId(): string {
    return this.#config.secretId;
  }

  /** A monotonic reading of the client's clock, for budgets and durations. */
  monotonicMs(): number {
    return monotonicMs(this.#config.clock);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The live generation, for reading properties; throws ClosedError after close(). */
  get live(): Generation {
    if (this.#closed || this.#live === undefined) throw new ClosedError('DocumentDbClient');
    return this.#live;
  }

  /** Opens the first MongoClient: AWSCURRENT, or what recovery finds if the database rejects it. */
  async start(): Promise<void> {
    const deadline = this.monotonicMs() + this.#config.recoveryBudgetMs;
    const generation = await this.#connectWithRecovery(await this.#creds.current(), deadline);
    if (this.#closed) {
      await generation.close();
      throw new ClosedError('DocumentDbClient');
    }
    this.#live = generation;
  }

  /**
   * The switch under way away from the live generation after an auth failure, settled either
   * way; undefined when there is none. An operation started now would only be rejected on the
   * live generation (and make the driver clear its pool again).
   */
  switchAwayFromLive(): Promise<void> | undefined {
    const running = this.#switching;
    if (running === undefined || running.from === undefined || running.from !== this.#live) return undefined;
    return running.promise.catch(() => undefined);
  }

  /** The live generation with one operation counted on it; pair with `release()`. */
  acquire(): Generation {
    const generation = this.live;
    generation.acquire();
    this.#maybeFollowCurrent();
    return generation;
  }

  /**
   * Awaits `first` (already running on `generation`, which must be acquired); when it fails
   * before reaching the server, recovers and runs `call` again on the live generation.
   */
  async settle<T>(generation: Generation, first: Promise<T>, call: (generation: Generation) => Promise<T>): Promise<T> {
    const startedAt = this.monotonicMs();
    let pending = first;
    for (let attempt = 1; ; attempt++) {
      try {
        return await pending;
      } catch (err) {
        await this.recoverFrom(err, generation, attempt, startedAt);
      } finally {
        generation.release();
      }
      generation = this.acquire();
      try {
        pending = call(generation);
      } catch (err) {
        pending = Promise.reject(err);
      }
    }
  }

  /**
   * Decides about one failed attempt: rethrows `err` when it may have reached the server, or
   * the budget or attempts are spent; otherwise returns once a retry makes sense (after a
   * switch to recovered credentials for an auth failure, after a short backoff otherwise).
   */
  async recoverFrom(err: unknown, generation: Generation, attempt: number, startedAt: number): Promise<void> {
    if (this.#closed) throw err;
    const kind = classifyFailure(err);
    if (kind === 'fatal' || attempt > MAX_RETRIES_PER_OPERATION) throw err;
    const budgetMs = this.#config.recoveryBudgetMs - (this.monotonicMs() - startedAt);
    if (budgetMs <= 0) throw err;
    this.#stats.retries++;
    this.#emit({ type: 'operation-retry', secretId: this.secretId, generation: generation.number, reason: kind, attempt, error: describeFailure(err) });
    if (kind === 'auth') {
      this.#remember(generation.secret.versionId);
      await this.#switchAfterAuthFailure(generation, budgetMs);
    } else {
      const delayMs = Math.min(TRANSIENT_BACKOFF_MS.maxMs, TRANSIENT_BACKOFF_MS.baseMs * 2 ** (attempt - 1));
      await sleepOn(this.#config.clock, delayMs * (0.5 + this.#config.random() / 2));
    }
  }

  stats(): DocumentDbClientStats {
    return { generation: this.#live?.number ?? 0, ...this.#stats, openClients: this.#open.size };
  }

  /** Closes every MongoClient now (the live one and retired ones); safe to call twice. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#open].map((generation) => generation.close()));
  }

  /** Coalesced: every operation that failed on `failed` waits for the same switch. */
  async #switchAfterAuthFailure(failed: Generation, budgetMs: number): Promise<void> {
    for (;;) {
      if (this.#live !== failed) return;
      const running = this.#switching;
      if (running === undefined) break;
      if (running.from === failed) return running.promise;
      await running.promise.catch(() => undefined);
    }
    const deadline = this.monotonicMs() + budgetMs;
    const promise = (async () => {
      const recovered = await this.#creds.recoverAfterAuthFailure(failed.secret, { budgetMs });
      const next = await this.#connectWithRecovery(recovered, deadline);
      this.#install(next, failed, 'auth-failure');
    })().finally(() => {
      this.#switching = undefined;
    });
    this.#switching = { from: failed, promise };
    return promise;
  }

  /**
   * Alternating-users rotation moves AWSCURRENT to another user while the old one still
   * works, and a cache refresh may bring a new AWSCURRENT before anything fails: follow it
   * in the background, at most once per interval, never to a version this client saw rejected.
   */
  #maybeFollowCurrent(): void {
    const now = this.#config.clock.now();
    if (this.#switching !== undefined || now - this.#lastFollowCheck < FOLLOW_CHECK_INTERVAL_MS) return;
    this.#lastFollowCheck = now;
    const from = this.#live!;
    const promise = (async () => {
      const secret = await this.#creds.current();
      if (secret.versionId === from.secret.versionId || this.#rejected.includes(secret.versionId)) return;
      let next: Generation;
      try {
        next = await this.#openGeneration(secret);
      } catch (err) {
        if (classifyFailure(err) === 'auth') this.#remember(secret.versionId);
        return;
      }
      if (this.#live !== from) {
        await next.close();
        return;
      }
      this.#install(next, from, 'current-changed');
    })()
      // A failed follow-up changes nothing: the live client keeps working or fails into recovery.
      .catch(() => undefined)
      .finally(() => {
        this.#switching = undefined;
      });
    this.#switching = { from: undefined, promise };
  }

  /** Opens a client with `secret`; on rejection asks DbCredentials for the next candidate, within the budget. */
  async #connectWithRecovery(secret: DocumentDbSecret, deadline: number): Promise<Generation> {
    for (;;) {
      try {
        return await this.#openGeneration(secret);
      } catch (err) {
        if (classifyFailure(err) !== 'auth') throw err;
        this.#remember(secret.versionId);
        const budgetMs = Math.max(0, deadline - this.monotonicMs());
        secret = await this.#creds.recoverAfterAuthFailure(secret, { budgetMs });
      }
    }
  }

  /** A connected MongoClient for `secret`: `connect()` authenticates one connection, so a rejected password fails here. */
  async #openGeneration(secret: DocumentDbSecret): Promise<Generation> {
    if (this.#closed) throw new ClosedError('DocumentDbClient');
    const { url, options } = mongoSettings(secret, this.#config);
    const client = this.#config.createMongoClient ? this.#config.createMongoClient(url, options) : new MongoClient(url, options);
    // Before connect(): the driver hands its credentials object to every pool and connection then.
    hideCredentials(client);
    const generation = new Generation(++this.#numbers, client, secret, (closed) => this.#onClosed(closed));
    this.#open.add(generation);
    const login = { type: 'login', secretId: this.secretId, versionId: secret.versionId, username: secret.username, host: secret.host, port: secret.port } as const;
    const startedAt = this.monotonicMs();
    try {
      await client.connect();
    } catch (err) {
      const outcome = classifyFailure(err) === 'auth' ? 'rejected' : 'error';
      this.#emit({ ...login, outcome, durationMs: this.monotonicMs() - startedAt, errorCode: errorCode(err) });
      await generation.close();
      throw err;
    }
    this.#emit({ ...login, outcome: 'ok', durationMs: this.monotonicMs() - startedAt });
    return generation;
  }

  #install(next: Generation, previous: Generation, reason: 'auth-failure' | 'current-changed'): void {
    if (this.#closed) {
      void next.close();
      throw new ClosedError('DocumentDbClient');
    }
    this.#live = next;
    if (reason === 'auth-failure') this.#stats.switchesAfterAuthFailure++;
    else this.#stats.switchesToNewCurrent++;
    this.#emit({
      type: 'client-switch',
      secretId: this.secretId,
      generation: next.number,
      versionId: next.secret.versionId,
      previousVersionId: previous.secret.versionId,
      username: next.secret.username,
      reason,
    });
    previous.retire();
  }

  #onClosed(generation: Generation): void {
    this.#open.delete(generation);
    if (generation.retired && !this.#closed) {
      this.#emit({ type: 'client-retired', secretId: this.secretId, generation: generation.number });
    }
  }

  #remember(versionId: string): void {
    if (this.#rejected.includes(versionId)) return;
    this.#rejected.push(versionId);
    if (this.#rejected.length > REJECTED_MEMORY) this.#rejected.shift();
  }

  #emit(event: DocumentDbClientEvent): void {
    emitSafely(this.#config.onEvent, event);
  }
}

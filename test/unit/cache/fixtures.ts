import { CreateSecretCommand, PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import type { CacheEvent } from '../../../src/cache/events.js';
import type { SecretsManagerLike } from '../../../src/secrets-manager/client.js';
import { InMemorySecretsManager } from '../../../src/testing/in-memory-secrets-manager.js';

/** A clock the test moves by hand. */
export interface ManualClock {
  now(): number;
  advance(ms: number): void;
}

export function manualClock(startMs = 1_700_000_000_000): ManualClock {
  let now = startMs;
  return {
    now: () => now,
    advance: (ms) => {
      now += ms;
    },
  };
}

/** A fake Secrets Manager holding one secret per entry of `values` (each as AWSCURRENT). */
export async function secretsManagerWith(values: Record<string, string>, clock?: ManualClock): Promise<InMemorySecretsManager> {
  const sm = new InMemorySecretsManager(clock ? { clock } : {});
  for (const [name, value] of Object.entries(values)) {
    await sm.send(new CreateSecretCommand({ Name: name, SecretString: value }));
  }
  sm.calls.length = 0;
  return sm;
}

/** Adds a version with `stages` (default AWSCURRENT) and returns its id. */
export async function putVersion(
  sm: SecretsManagerLike,
  secretId: string,
  value: string,
  stages: string[] = ['AWSCURRENT'],
): Promise<string> {
  const out = await sm.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: value, VersionStages: stages }));
  return out.VersionId as string;
}

/** The inputs of every GetSecretValue the fake answered. */
export function getSecretValueInputs(sm: InMemorySecretsManager): Array<Record<string, unknown>> {
  return sm.calls.filter((call) => call.command === 'GetSecretValue').map((call) => call.input);
}

/**
 * Wraps a client so the test decides when GetSecretValue answers: while held, each call is
 * sent to the inner client at once, but its answer (as of that moment) waits until `release()`.
 * Proves who waits on a request and who does not, without timing.
 */
export class GatedClient implements SecretsManagerLike {
  #held = false;
  #waiting: Array<() => void> = [];

  constructor(private readonly inner: SecretsManagerLike) {}

  /** GetSecretValue calls that are waiting for `release()`. */
  get waiting(): number {
    return this.#waiting.length;
  }

  hold(): void {
    this.#held = true;
  }

  release(): void {
    this.#held = false;
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const go of waiting) go();
  }

  async send(command: any): Promise<any> {
    const held = this.#held && command?.constructor?.name === 'GetSecretValueCommand';
    // Settled into a value at once, so a failure waiting for release() is not an unhandled rejection.
    const answer = this.inner.send(command).then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    if (held) {
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    }
    const settled: { value?: any; error?: unknown } = await answer;
    if ('error' in settled) throw settled.error;
    return settled.value;
  }
}

/** Collects events; `types()` lists their types in order. */
export function eventLog(): { events: CacheEvent[]; onEvent: (event: CacheEvent) => void; types: () => string[] } {
  const events: CacheEvent[] = [];
  return { events, onEvent: (event) => events.push(event), types: () => events.map((e) => e.type) };
}

/** Lets pending promise callbacks and immediates run. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Attempts p-retry can make within `windowMs` under the cache's backoff
 * (delay n = min(maxMs, U[1,2) * baseMs * factor^n)): the most with the shortest delays and
 * the fewest with the longest, each counting the final attempt made when the window closes.
 */
export function attemptsWithin(windowMs: number, backoff: { baseMs: number; factor: number; maxMs: number }): { min: number; max: number } {
  const count = (multiplier: number): number => {
    let elapsed = 0;
    let attempts = 1;
    for (let n = 0; elapsed < windowMs; n++) {
      elapsed += Math.min(backoff.maxMs, multiplier * backoff.baseMs * backoff.factor ** n, windowMs - elapsed);
      attempts++;
    }
    return attempts;
  };
  return { min: count(2), max: count(1) };
}

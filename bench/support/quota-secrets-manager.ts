import type { Clock } from '../../src/internal/clock.js';
import type { InMemorySecretsManager } from '../../src/testing/in-memory-secrets-manager.js';

/** Requests per second per API, as Secrets Manager's quota page gives them for one account and Region. */
export const AWS_QUOTAS_PER_SECOND = Object.freeze({
  GetSecretValue: 10_000,
  DescribeSecret: 40_000,
  PutSecretValue: 50,
  UpdateSecretVersionStage: 50,
  ListSecrets: 100,
  // Not in the list; assumed to share the low control-plane rate (check the quota page).
  ListSecretVersionIds: 50,
});

export type QuotaApi = keyof typeof AWS_QUOTAS_PER_SECOND;

export interface ApiCounts {
  ok: number;
  throttled: number;
}

/**
 * One Secrets Manager for the whole simulated fleet: the in-memory fake behind per-API quotas
 * counted per second of the simulated clock (a call beyond the quota of its second fails with
 * the SDK's ThrottlingException shape, as the service answers), and a latency per call.
 */
export class QuotaSecretsManager {
  readonly counts = new Map<string, ApiCounts>();
  readonly #used = new Map<string, { second: number; n: number }>();

  constructor(
    readonly inner: InMemorySecretsManager,
    private readonly clock: Clock & { sleep(ms: number): Promise<void> },
    private readonly quotas: Partial<Record<string, number>>,
    private readonly latencyMs: () => number,
  ) {}

  async send(command: { input: object; constructor: { name: string } }): Promise<any> {
    const api = command.constructor.name.replace(/Command$/, '');
    const counts = this.#countsOf(api);
    // Half the latency on the way in (the quota is counted on arrival), half on the way back,
    // each a whole simulated ms (the figures in the README were measured that way).
    const half = Math.round(this.latencyMs() / 2);
    await this.clock.sleep(half);
    if (!this.#admit(api)) {
      counts.throttled++;
      await this.clock.sleep(half);
      throw Object.assign(new Error('Rate exceeded'), {
        name: 'ThrottlingException',
        $fault: 'client',
        $metadata: { httpStatusCode: 400 },
      });
    }
    counts.ok++;
    const out = await this.inner.send(command as never);
    this.inner.calls.length = 0; // the fake's own call log would grow by the million
    await this.clock.sleep(half);
    return out;
  }

  /** Calls of `api` so far (answered + throttled). */
  total(api: string): number {
    const c = this.counts.get(api);
    return c === undefined ? 0 : c.ok + c.throttled;
  }

  snapshot(): Map<string, ApiCounts> {
    return new Map([...this.counts].map(([k, v]) => [k, { ...v }]));
  }

  #countsOf(api: string): ApiCounts {
    let c = this.counts.get(api);
    if (c === undefined) this.counts.set(api, (c = { ok: 0, throttled: 0 }));
    return c;
  }

  #admit(api: string): boolean {
    const quota = this.quotas[api];
    if (quota === undefined) return true;
    const second = Math.floor(this.clock.now() / 1000);
    let used = this.#used.get(api);
    if (used === undefined || used.second !== second) this.#used.set(api, (used = { second, n: 0 }));
    if (used.n >= quota) return false;
    used.n++;
    return true;
  }
}

/** The difference of two snapshots, per API. */
export function countsSince(before: Map<string, ApiCounts>, after: Map<string, ApiCounts>): Map<string, ApiCounts> {
  const out = new Map<string, ApiCounts>();
  for (const [api, a] of after) {
    const b = before.get(api) ?? { ok: 0, throttled: 0 };
    out.set(api, { ok: a.ok - b.ok, throttled: a.throttled - b.throttled });
  }
  return out;
}

/**
 * The scheduler side of the rotation explorer: every call a run makes to Secrets Manager or to the
 * database waits at a gate until the explorer releases it, so the explorer decides the order in
 * which concurrent runs' calls take effect — and may let a run die at any gate.
 *
 * A released call takes effect at once, and the run goes on until it reaches its next gate (or
 * ends). `settle()` waits for that: everything between two gates is in-memory work that needs
 * only turns of the event loop, never a timer.
 */

export type RunState = 'running' | 'at-gate' | 'waiting' | 'done' | 'failed' | 'crashed';

interface RunSlot {
  readonly name: string;
  state: RunState;
  gate: { label: string; release: () => void } | undefined;
  outcome: unknown;
  /** Called when the run dies: the database rolls back its open transactions. */
  readonly onCrash: Array<() => void>;
}

/** What the explorer may do at a decision: let a run's next call happen, or kill the run there. */
export interface Choice {
  readonly run: number;
  readonly crash: boolean;
}

const MAX_SETTLE_TURNS = 10_000;

export class Controller {
  readonly #runs: RunSlot[] = [];
  readonly #settleQuietMs: number | undefined;

  /** `settleQuietMs`: see ExploreOptions (real servers). */
  constructor(options: { settleQuietMs?: number | undefined } = {}) {
    this.#settleQuietMs = options.settleQuietMs;
  }
  /** One line per step, for the report of a failing schedule. */
  readonly trace: string[] = [];

  /** Starts `body` as run number `index`; it first waits at a `start` gate. */
  start(name: string, body: (run: number) => Promise<unknown>): number {
    const run = this.#runs.length;
    const slot: RunSlot = { name, state: 'running', gate: undefined, outcome: undefined, onCrash: [] };
    this.#runs.push(slot);
    void this.gate(run, 'start')
      .then(() => body(run))
      .then(
        (value) => this.#end(slot, 'done', value),
        (err: unknown) => this.#end(slot, 'failed', err),
      );
    return run;
  }

  #end(slot: RunSlot, state: 'done' | 'failed', outcome: unknown): void {
    if (slot.state === 'crashed') return;
    slot.state = state;
    slot.outcome = outcome;
  }

  /** Resolves when the explorer releases this run's next call. A dead run's gates never open. */
  gate(run: number, label: string): Promise<void> {
    const slot = this.#slot(run);
    if (slot.state === 'crashed') return new Promise(() => undefined);
    return new Promise((release) => {
      slot.state = 'at-gate';
      slot.gate = { label, release };
    });
  }

  /** Marks the run as blocked on `promise` (a database lock held by another run) until it settles. */
  async waitFor<T>(run: number, promise: Promise<T>): Promise<T> {
    const slot = this.#slot(run);
    slot.state = 'waiting';
    try {
      return await promise;
    } finally {
      if (slot.state === 'waiting') slot.state = 'running';
    }
  }

  onCrash(run: number, hook: () => void): void {
    this.#slot(run).onCrash.push(hook);
  }

  /** Waits until no run is between gates (real servers: or until runs have been quiet for `settleQuietMs`). */
  async settle(): Promise<void> {
    if (this.#settleQuietMs !== undefined) return this.#settleReal(this.#settleQuietMs);
    for (let turn = 0; turn < MAX_SETTLE_TURNS; turn++) {
      if (!this.anyBetweenGates()) return;
      await new Promise((resolve) => setImmediate(resolve));
    }
    const stuck = this.#runs.filter((slot) => slot.state === 'running').map((slot) => slot.name);
    throw new Error(`explorer: ${stuck.join(', ')} neither reached a gate nor ended (a real timer or an unwrapped call?)`);
  }

  /** When no run can be released: waits once more, longer, for a run blocked in the database. True when one moved. */
  async settleLonger(): Promise<boolean> {
    if (this.#settleQuietMs === undefined) return false;
    await this.#settleReal(this.#settleQuietMs * 10);
    return this.enabled().length > 0 || !this.anyBetweenGates();
  }

  async #settleReal(quietMs: number): Promise<void> {
    const deadline = performance.now() + quietMs;
    while (this.anyBetweenGates() && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 2));
  }

  anyBetweenGates(): boolean {
    return this.#runs.some((slot) => slot.state === 'running');
  }

  /** Ends the schedule: every run still alive dies (its sessions close), so nothing lingers. */
  async stopAll(): Promise<void> {
    for (const slot of this.#runs) {
      if (slot.state === 'done' || slot.state === 'failed' || slot.state === 'crashed') continue;
      slot.state = 'crashed';
      for (const hook of slot.onCrash) hook();
    }
  }

  /** Runs waiting at a gate, in run order. */
  enabled(): number[] {
    return this.#runs.flatMap((slot, run) => (slot.state === 'at-gate' ? [run] : []));
  }

  /** True when some run waits on a lock while no run can move: the schedule deadlocked. */
  deadlocked(): boolean {
    return this.enabled().length === 0 && this.#runs.some((slot) => slot.state === 'waiting');
  }

  apply(choice: Choice): void {
    const slot = this.#slot(choice.run);
    const gate = slot.gate;
    if (slot.state !== 'at-gate' || gate === undefined) throw new Error(`explorer: ${slot.name} is not at a gate`);
    slot.gate = undefined;
    if (choice.crash) {
      this.trace.push(`${slot.name} dies before ${gate.label}`);
      slot.state = 'crashed';
      for (const hook of slot.onCrash) hook();
      return;
    }
    this.trace.push(`${slot.name}: ${gate.label}`);
    slot.state = 'running';
    gate.release();
  }

  /** The label of the gate `run` waits at. */
  gateOf(run: number): string | undefined {
    return this.#slot(run).gate?.label;
  }

  name(run: number): string {
    return this.#slot(run).name;
  }

  state(run: number): RunState {
    return this.#slot(run).state;
  }

  outcome(run: number): unknown {
    return this.#slot(run).outcome;
  }

  get size(): number {
    return this.#runs.length;
  }

  #slot(run: number): RunSlot {
    const slot = this.#runs[run];
    if (slot === undefined) throw new Error(`explorer: no run ${run}`);
    return slot;
  }
}

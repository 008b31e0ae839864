import { randomBytes, randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { DeleteSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SecretsManagerLike } from '../../src/secrets-manager/client.js';
import { sleep } from '../../src/internal/clock.js';
import { runRotationStep } from '../../src/rotation/lambda.js';
import { ROTATION_STEPS } from '../../src/rotation/types.js';
import { InMemorySecretsManager } from '../../src/testing/in-memory-secrets-manager.js';
import { percentile, runLoad } from './load.js';
import { renderReport, type RotationMark, type SummaryRow } from './report.js';
import { documentDbTarget, redshiftTarget, type DemoClient, type DemoTarget } from './targets.js';
import { Timeline } from './timeline.js';

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** Rotations to run. Default 10. */
  rotations: number;
  /** Time between rotations. Default 3,000 ms. */
  intervalMs: number;
  /** Wait between setSecret and finishSecret (AWS: testSecret and Lambda round trips). Default 1,000 ms. */
  pauseMs: number;
  /** Hard upper bound of the load phase. Default: what the rotations need plus 10 s. */
  durationMs?: number;
  /** Workers per client. Default 4. */
  concurrency: number;
  /** A real Secrets Manager endpoint instead of the in-process one. */
  endpoint?: string;
  region?: string;
  /** Also write a self-contained HTML report here. */
  reportPath?: string;
  /** Leave out the DocumentDB half. */
  skipDocumentDb?: boolean;
  /** Where progress and the summary go. */
  write: (text: string) => void;
  /** True to redraw one progress line in place (a terminal). */
  live: boolean;
  /** Aborts the run (Ctrl-C); everything started is still cleaned up. */
  signal?: AbortSignal;
}

/** What the demo measured. */
export interface DemoResult {
  rows: SummaryRow[];
  rotations: number;
  notes: string[];
}

function secretsManager(options: DemoOptions): SecretsManagerLike {
  if (!options.endpoint) return new InMemorySecretsManager();
  return new SecretsManagerClient({ endpoint: options.endpoint, region: options.region ?? process.env['AWS_REGION'] ?? 'us-east-1' });
}

/** What {@link rotateAll} reports, in seconds since the start. */
interface RotationClock {
  now: () => number;
  /** One database's rotation finished: its password changed at `passwordChangedAtS`, AWSCURRENT moved now. */
  onRotation: (mark: RotationMark) => void;
  /** Every database's secret has rotated once more. */
  onRotated: (index: number) => void;
}

/** Rotates every target's secret `count` times with credstage's engine, the single-user way. */
async function rotateAll(sm: SecretsManagerLike, targets: DemoTarget[], options: DemoOptions, clock: RotationClock): Promise<void> {
  for (let i = 1; i <= options.rotations && !options.signal?.aborted; i++) {
    await sleep(options.intervalMs, options.signal);
    if (options.signal?.aborted) return;
    await Promise.all(
      targets.map(async ({ secretId, database }) => {
        const token = randomUUID();
        let passwordChangedAtS = 0;
        for (const Step of ROTATION_STEPS) {
          await runRotationStep(
            { SecretId: secretId, ClientRequestToken: token, Step },
            { secretsManager: sm, selfHosted: true, requireRotationEnabled: false },
          );
          if (Step === 'setSecret') {
            // The password has changed; AWSCURRENT has not moved yet: the window that breaks clients.
            passwordChangedAtS = clock.now();
            await sleep(options.pauseMs);
          }
        }
        clock.onRotation({ database, passwordChangedAtS, currentMovedAtS: clock.now() });
      }),
    );
    clock.onRotated(i);
  }
}

interface Running {
  database: string;
  client: DemoClient;
  timeline: Timeline;
}

/** `12s  rotations 3/10  redshift: credstage 2349 ok 0 failed | read-once ...` */
function progressLine(elapsedS: number, done: number, total: number, running: readonly Running[]): string {
  const byDatabase = new Map<string, string[]>();
  for (const { database, client, timeline } of running) {
    const parts = byDatabase.get(database) ?? [];
    parts.push(`${client.label} ${timeline.totalOk}/${timeline.totalFailed}`);
    byDatabase.set(database, parts);
  }
  const groups = [...byDatabase].map(([database, parts]) => `${database}: ${parts.join(' ')}`);
  return `${elapsedS.toFixed(0).padStart(3)}s  rotations ${done}/${total}  ok/failed  ${groups.join('  |  ')}`;
}

/** Formats the summary rows as a plain table. */
export function summaryTable(rows: readonly SummaryRow[]): string {
  const header = ['database', 'client', 'ok', 'failed', 'p99 ms'];
  const cells = rows.map((r) => [r.database, r.client, String(r.ok), String(r.failed), r.p99Ms.toFixed(1)]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: string[]): string => c.map((v, i) => (i < 2 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

/** Starts PostgreSQL and (unless skipped, or it cannot start) FerretDB, each with its secret and clients. */
async function startTargets(sm: SecretsManagerLike, runId: string, options: DemoOptions, targets: DemoTarget[], notes: string[]): Promise<void> {
  const { write } = options;
  write('starting PostgreSQL (Redshift stand-in)…\n');
  targets.push(await redshiftTarget(sm, runId, options.concurrency));
  if (options.skipDocumentDb) {
    notes.push('DocumentDB half skipped (--no-documentdb).');
    return;
  }
  write('starting FerretDB (DocumentDB stand-in; the first run builds it with Go, about 90 s)…\n');
  try {
    targets.push(await documentDbTarget(sm, runId));
  } catch (err) {
    const line = `DocumentDB half skipped: ${(err as Error).message.split('\n')[0]}`;
    notes.push(line);
    write(`${line}\n`);
  }
}

/** Continuous load on every client until `running()` turns false or `budgetMs` passes, recorded on its timeline. */
function startLoads(timelines: readonly Running[], options: DemoOptions, budgetMs: number, running: () => boolean): Promise<unknown>[] {
  return timelines.map(({ client, timeline }) =>
    runLoad({
      concurrency: options.concurrency,
      running: () => running() && !options.signal?.aborted,
      maxDurationMs: budgetMs,
      thinkMs: 5,
      op: async (seq) => {
        const t0 = performance.now();
        try {
          await client.op(seq);
          timeline.record(true, performance.now() - t0);
        } catch (err) {
          timeline.record(false, performance.now() - t0);
          throw err;
        }
      },
    }),
  );
}

/**
 * Rotates until the rotations are done, the time budget passes or the run is aborted, then a last
 * second of load. Resolves only once no rotation is under way: stopping the servers under one
 * would leave it running against them in the background.
 */
async function rotateWithin(sm: SecretsManagerLike, targets: DemoTarget[], options: DemoOptions, budgetMs: number, clock: RotationClock): Promise<void> {
  // Stops starting rotations (Ctrl-C or the time budget); one under way still finishes its steps.
  const stopRotations = new AbortController();
  const onAbort = (): void => stopRotations.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  const rotations = rotateAll(sm, targets, { ...options, signal: stopRotations.signal }, clock);
  try {
    await Promise.race([rotations, sleep(budgetMs, stopRotations.signal)]);
    await sleep(1_000, options.signal); // a last second of load after the last rotation
  } finally {
    stopRotations.abort();
    options.signal?.removeEventListener('abort', onAbort);
    await rotations.catch(() => undefined);
  }
}

function summaryRows(timelines: readonly Running[]): SummaryRow[] {
  return timelines.map(({ database, timeline }) => ({
    database,
    client: timeline.name,
    ok: timeline.totalOk,
    failed: timeline.totalFailed,
    p99Ms: percentile(timeline.latenciesMs, 99),
  }));
}

/** Writes the self-contained HTML report to `path`. */
async function writeHtmlReport(path: string, timelines: readonly Running[], rows: SummaryRow[], rotations: RotationMark[], notes: string[], pauseMs: number): Promise<void> {
  const html = renderReport({
    title: 'credstage demo: database connections while the password rotates',
    generatedAt: new Date(),
    charts: timelines.map(({ database, timeline }) => ({ database, timeline })),
    rotations,
    rows,
    notes: [
      `Single-user rotations by credstage's engine, ${pauseMs} ms between the password change and the AWSCURRENT move.`,
      'Every client recycles its connections about once a second, as pools do behind idle timeouts, scaling and failovers.',
      ...notes,
    ],
  });
  await writeFile(path, html);
}

/** Closes every client, stops every server and deletes the demo's secrets. */
async function cleanUp(sm: SecretsManagerLike, targets: readonly DemoTarget[]): Promise<void> {
  for (const target of targets) {
    await Promise.allSettled(target.clients.map((c) => c.close()));
    await target.stop().catch(() => undefined);
    // Against a real endpoint the demo's secrets would outlive it (and cost money on AWS).
    await sm.send(new DeleteSecretCommand({ SecretId: target.secretId, ForceDeleteWithoutRecovery: true })).catch(() => undefined);
  }
  (sm as { destroy?: () => void }).destroy?.();
}

/**
 * The demo: embedded PostgreSQL (and FerretDB when it can be started), an in-process Secrets
 * Manager (or `endpoint`), three clients per database under continuous load while credstage's
 * engine rotates the password every few seconds, then a summary table (and an HTML report).
 */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const { write } = options;
  const sm = secretsManager(options);
  const notes: string[] = [];
  const targets: DemoTarget[] = [];
  try {
    await startTargets(sm, randomBytes(4).toString('hex'), options, targets, notes);
    const start = performance.now();
    const elapsedS = (): number => (performance.now() - start) / 1000;
    const timelines: Running[] = targets.flatMap((t) => t.clients.map((c) => ({ database: t.database, client: c, timeline: new Timeline(c.name, start) })));
    let rotated = 0;
    const marks: RotationMark[] = [];
    const progress = (): string => progressLine(elapsedS(), rotated, options.rotations, timelines);
    const budgetMs = options.durationMs ?? options.rotations * (options.intervalMs + options.pauseMs + 2_000) + 10_000;
    write(`load: ${timelines.length} clients × ${options.concurrency} workers; ${options.rotations} single-user rotations, one every ${options.intervalMs} ms, ${options.pauseMs} ms between password change and stage move\n`);
    const ticker = setInterval(() => write(options.live ? `\r${progress()}` : `${progress()}\n`), options.live ? 500 : 5_000);
    let rotating = true;
    const loads = startLoads(timelines, options, budgetMs, () => rotating);
    try {
      await rotateWithin(sm, targets, options, budgetMs, {
        now: elapsedS,
        onRotation: (mark) => marks.push(mark),
        onRotated: (index) => (rotated = index),
      });
    } finally {
      rotating = false;
      await Promise.all(loads);
      clearInterval(ticker);
      write(`${options.live ? '\n' : ''}${progress()}\n`);
    }
    const rows = summaryRows(timelines);
    write(`\n${summaryTable(rows)}\n`);
    for (const note of notes) write(`note: ${note}\n`);
    if (options.reportPath) {
      await writeHtmlReport(options.reportPath, timelines, rows, marks, notes, options.pauseMs);
      write(`report: ${options.reportPath}\n`);
    }
    return { rows, rotations: rotated, notes };
  } finally {
    await cleanUp(sm, targets);
  }
}

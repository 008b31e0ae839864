import type { Timeline } from './timeline.js';

/** One row of the demo's summary table. */
export interface SummaryRow {
  database: string;
  client: string;
  ok: number;
  failed: number;
  p99Ms: number;
}

/**
 * One rotation of one database's secret, in seconds since the start: the database took the new
 * password at `passwordChangedAtS` (setSecret), AWSCURRENT moved at `currentMovedAtS`
 * (finishSecret). In between lies the window in which clients that read only AWSCURRENT fail.
 */
export interface RotationMark {
  database: string;
  passwordChangedAtS: number;
  currentMovedAtS: number;
}

/** What the HTML report shows. */
export interface ReportInput {
  title: string;
  generatedAt: Date;
  /** One chart pair per timeline, grouped by database. */
  charts: Array<{ database: string; timeline: Timeline }>;
  rotations: RotationMark[];
  rows: SummaryRow[];
  notes: string[];
}

const escapeHtml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Seconds between time-axis labels: 1, 2, 5, 10, 20, 50, … for at most six evenly spaced labels. */
function tickStepS(seconds: number): number {
  for (let magnitude = 1; ; magnitude *= 10) {
    for (const step of [1, 2, 5]) if (step * magnitude * 5 >= seconds) return step * magnitude;
  }
}

/** The p-th percentile (0..100) of `values`, nearest-rank; undefined for an empty list. */
function percentileOf(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** The frame every chart shares: size, scales, the time axis and the rotation marks. */
class Frame {
  static readonly width = 760;
  static readonly height = 160;
  private static readonly pad = { left: 56, right: 12, top: 12, bottom: 28 };
  readonly plotW = Frame.width - Frame.pad.left - Frame.pad.right;
  readonly plotH = Frame.height - Frame.pad.top - Frame.pad.bottom;

  constructor(
    readonly seconds: number,
    readonly peak: number,
  ) {}

  x(s: number): number {
    return Frame.pad.left + (s / Math.max(1, this.seconds)) * this.plotW;
  }

  y(v: number): number {
    return Frame.pad.top + this.plotH - (v / this.peak) * this.plotH;
  }

  /** Axes, the peak label, time ticks and the rotation marks (shaded window, dashed AWSCURRENT move). */
  background(rotations: readonly RotationMark[], peakLabel: string): string {
    const { left, top } = Frame.pad;
    const bottom = this.y(0);
    const windows = rotations
      .map((r) => {
        const x0 = this.x(r.passwordChangedAtS);
        const w = Math.max(1, this.x(r.currentMovedAtS) - x0);
        return `<rect x="${x0.toFixed(1)}" y="${top}" width="${w.toFixed(1)}" height="${(bottom - top).toFixed(1)}" fill="#f5a62333"/>` +
          `<line x1="${x0.toFixed(1)}" x2="${x0.toFixed(1)}" y1="${top}" y2="${bottom}" stroke="#e08a00"/>` +
          `<line x1="${this.x(r.currentMovedAtS).toFixed(1)}" x2="${this.x(r.currentMovedAtS).toFixed(1)}" y1="${top}" y2="${bottom}" stroke="#36c" stroke-dasharray="4 3"/>`;
      })
      .join('');
    const stepS = tickStepS(this.seconds);
    const ticks = Array.from({ length: Math.floor(this.seconds / stepS) + 1 }, (_, i) => i * stepS)
      .map((s) => `<text x="${this.x(s).toFixed(1)}" y="${Frame.height - 8}" font-size="11" text-anchor="middle">${s}s</text>`)
      .join('');
    return `<line x1="${left}" x2="${left}" y1="${top}" y2="${bottom}" stroke="#999"/><line x1="${left}" x2="${Frame.width - Frame.pad.right}" y1="${bottom}" y2="${bottom}" stroke="#999"/>
<text x="${left - 6}" y="${top + 10}" font-size="11" text-anchor="end">${peakLabel}</text><text x="${left - 6}" y="${bottom}" font-size="11" text-anchor="end">0</text>${windows}${ticks}`;
  }

  /** A polyline through one value per second (seconds without a value are skipped). */
  line(values: ReadonlyArray<number | undefined>, color: string, dash = ''): string {
    const points = values.flatMap((v, s) => (v === undefined ? [] : [`${this.x(s + 0.5).toFixed(1)},${this.y(v).toFixed(1)}`]));
    if (points.length === 0) return '';
    return `<polyline points="${points.join(' ')}" fill="none" stroke="${color}" stroke-width="1.5"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`;
  }

  svg(label: string, body: string): string {
    return `<svg viewBox="0 0 ${Frame.width} ${Frame.height}" width="${Frame.width}" height="${Frame.height}" role="img" aria-label="${escapeHtml(label)}">\n${body}</svg>`;
  }
}

/** Operations per second (green area) and failures per second (red bars). */
function throughputChart(timeline: Timeline, rotations: readonly RotationMark[], seconds: number): string {
  const frame = new Frame(seconds, Math.max(1, ...timeline.ok.map((ok, i) => ok + (timeline.failed[i] ?? 0))));
  const okPath = timeline.ok.map((v, s) => `${s === 0 ? 'M' : 'L'}${frame.x(s + 0.5).toFixed(1)},${frame.y(v).toFixed(1)}`).join(' ');
  const area = timeline.ok.length
    ? `<path d="${okPath} L${frame.x(timeline.ok.length - 0.5).toFixed(1)},${frame.y(0)} L${frame.x(0.5).toFixed(1)},${frame.y(0)} Z" fill="#2e9d5b33" stroke="#2e9d5b" stroke-width="1.5"/>`
    : '';
  const barW = Math.max(1, frame.plotW / Math.max(1, seconds) - 1);
  const bars = timeline.failed
    .map((v, s) => (v > 0 ? `<rect x="${frame.x(s).toFixed(1)}" y="${frame.y(v).toFixed(1)}" width="${barW.toFixed(1)}" height="${(frame.y(0) - frame.y(v)).toFixed(1)}" fill="#d33"/>` : ''))
    .join('');
  return frame.svg(`${timeline.name} operations per second`, `${frame.background(rotations, `${frame.peak}/s`)}${area}${bars}`);
}

/** Latency p50 (solid) and p99 (dashed) of the operations that ended in each second. */
function latencyChart(timeline: Timeline, rotations: readonly RotationMark[], seconds: number): string {
  const p50 = timeline.latenciesBySecond.map((l) => percentileOf(l, 50));
  const p99 = timeline.latenciesBySecond.map((l) => percentileOf(l, 99));
  const frame = new Frame(seconds, Math.max(1, ...p99.map((v) => v ?? 0)));
  return frame.svg(
    `${timeline.name} latency p50 and p99 per second`,
    `${frame.background(rotations, `${frame.peak.toFixed(0)} ms`)}${frame.line(p50, '#555')}${frame.line(p99, '#8e24aa', '5 3')}`,
  );
}

/** Rotations per database, e.g. 10 when each of two databases rotated 10 times. */
function rotationCount(rotations: readonly RotationMark[]): number {
  const perDatabase = new Map<string, number>();
  for (const r of rotations) perDatabase.set(r.database, (perDatabase.get(r.database) ?? 0) + 1);
  return Math.max(0, ...perDatabase.values());
}

/**
 * A self-contained HTML page (no scripts, no external resources): the summary table, then per
 * client a throughput chart and a latency chart, both marking each rotation's window (from the
 * password change to the AWSCURRENT move).
 *
 * @example
 * ```ts
 * await writeFile('report.html', renderReport(input));
 * ```
 */
export function renderReport(input: ReportInput): string {
  const seconds = Math.max(1, ...input.charts.map((c) => c.timeline.ok.length));
  const rows = input.rows
    .map(
      (r) =>
        `<tr class="${r.failed === 0 ? 'good' : 'bad'}"><td>${escapeHtml(r.database)}</td><td>${escapeHtml(r.client)}</td><td>${r.ok}</td><td>${r.failed}</td><td>${r.p99Ms.toFixed(1)}</td></tr>`,
    )
    .join('\n');
  const charts = input.charts
    .map(({ database, timeline }) => {
      const rotations = input.rotations.filter((r) => r.database === database);
      return `<section><h3>${escapeHtml(database)} · ${escapeHtml(timeline.name)} — ${timeline.totalOk} ok, ${timeline.totalFailed} failed</h3>
<div class="pair">${throughputChart(timeline, rotations, seconds)}${latencyChart(timeline, rotations, seconds)}</div></section>`;
    })
    .join('\n');
  const notes = input.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(input.title)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:820px;color:#222}
table{border-collapse:collapse;margin:12px 0}td,th{border:1px solid #ccc;padding:4px 10px;text-align:right}
td:nth-child(-n+2),th:nth-child(-n+2){text-align:left}tr.good td:nth-child(4){color:#2e7d32;font-weight:600}tr.bad td:nth-child(4){color:#c62828;font-weight:600}
h3{font-size:14px;margin:18px 0 4px}.legend span{margin-right:16px}.pair svg{display:block;margin-bottom:4px}
</style></head><body>
<h1>${escapeHtml(input.title)}</h1>
<p>Generated ${escapeHtml(input.generatedAt.toISOString())}. ${rotationCount(input.rotations)} rotations.</p>
<table><thead><tr><th>database</th><th>client</th><th>ok</th><th>failed</th><th>p99 ms</th></tr></thead><tbody>
${rows}
</tbody></table>
<p class="legend"><span style="color:#2e9d5b">■ operations/s</span><span style="color:#d33">■ failures/s</span><span style="color:#555">— p50 ms</span><span style="color:#8e24aa">┄ p99 ms</span><br><span style="color:#e08a00">│ password changed in the database</span><span style="background:#f5a62333">&nbsp;window&nbsp;</span><span style="color:#36c">┆ AWSCURRENT moved</span></p>
${charts}
<ul>${notes}</ul>
</body></html>
`;
}

import type { Timeline } from './timeline.js';

/** One row of the demo's summary table. */
export interface SummaryRow {
  database: string;
  client: string;
  ok: number;
  failed: number;
  p99Ms: number;
}

/** What the HTML report shows. */
export interface ReportInput {
  title: string;
  generatedAt: Date;
  /** One chart per timeline, grouped by database. */
  charts: Array<{ database: string; timeline: Timeline }>;
  /** Seconds since the start at which AWSCURRENT moved. */
  rotationsAtS: number[];
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

/**
 * An inline SVG chart: operations per second (green area) and failures per second (red bars)
 * over time, with a dashed line at each rotation.
 */
function chart(timeline: Timeline, rotationsAtS: number[], seconds: number): string {
  const width = 760;
  const height = 180;
  const pad = { left: 48, right: 12, top: 12, bottom: 28 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const peak = Math.max(1, ...timeline.ok.map((ok, i) => ok + (timeline.failed[i] ?? 0)));
  const x = (s: number): number => pad.left + (s / Math.max(1, seconds)) * plotW;
  const y = (v: number): number => pad.top + plotH - (v / peak) * plotH;
  const okPath = timeline.ok.map((v, s) => `${s === 0 ? 'M' : 'L'}${x(s + 0.5).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  const area = timeline.ok.length
    ? `<path d="${okPath} L${x(timeline.ok.length - 0.5).toFixed(1)},${y(0)} L${x(0.5).toFixed(1)},${y(0)} Z" fill="#2e9d5b33" stroke="#2e9d5b" stroke-width="1.5"/>`
    : '';
  const barW = Math.max(1, plotW / Math.max(1, seconds) - 1);
  const bars = timeline.failed
    .map((v, s) => (v > 0 ? `<rect x="${x(s).toFixed(1)}" y="${y(v).toFixed(1)}" width="${barW.toFixed(1)}" height="${(y(0) - y(v)).toFixed(1)}" fill="#d33"/>` : ''))
    .join('');
  const marks = rotationsAtS
    .map((s) => `<line x1="${x(s).toFixed(1)}" x2="${x(s).toFixed(1)}" y1="${pad.top}" y2="${y(0)}" stroke="#36c" stroke-dasharray="4 3"/>`)
    .join('');
  const stepS = tickStepS(seconds);
  const ticks = Array.from({ length: Math.floor(seconds / stepS) + 1 }, (_, i) => i * stepS)
    .map((s) => `<text x="${x(s).toFixed(1)}" y="${height - 8}" font-size="11" text-anchor="middle">${s}s</text>`)
    .join('');
  return `<svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(timeline.name)} operations per second">
<line x1="${pad.left}" x2="${pad.left}" y1="${pad.top}" y2="${y(0)}" stroke="#999"/><line x1="${pad.left}" x2="${width - pad.right}" y1="${y(0)}" y2="${y(0)}" stroke="#999"/>
<text x="${pad.left - 6}" y="${pad.top + 10}" font-size="11" text-anchor="end">${peak}</text><text x="${pad.left - 6}" y="${y(0)}" font-size="11" text-anchor="end">0</text>
${area}${bars}${marks}${ticks}</svg>`;
}

/**
 * A self-contained HTML page (no scripts, no external resources): the summary table and one
 * chart per client.
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
    .map(
      ({ database, timeline }) =>
        `<section><h3>${escapeHtml(database)} · ${escapeHtml(timeline.name)} — ${timeline.totalOk} ok, ${timeline.totalFailed} failed</h3>${chart(timeline, input.rotationsAtS, seconds)}</section>`,
    )
    .join('\n');
  const notes = input.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(input.title)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:820px;color:#222}
table{border-collapse:collapse;margin:12px 0}td,th{border:1px solid #ccc;padding:4px 10px;text-align:right}
td:nth-child(-n+2),th:nth-child(-n+2){text-align:left}tr.good td:nth-child(4){color:#2e7d32;font-weight:600}tr.bad td:nth-child(4){color:#c62828;font-weight:600}
h3{font-size:14px;margin:18px 0 4px}.legend span{margin-right:16px}
</style></head><body>
<h1>${escapeHtml(input.title)}</h1>
<p>Generated ${escapeHtml(input.generatedAt.toISOString())}. ${input.rotationsAtS.length} rotations.</p>
<table><thead><tr><th>database</th><th>client</th><th>ok</th><th>failed</th><th>p99 ms</th></tr></thead><tbody>
${rows}
</tbody></table>
<p class="legend"><span style="color:#2e9d5b">■ operations/s</span><span style="color:#d33">■ failures/s</span><span style="color:#36c">┆ rotation (AWSCURRENT moved)</span></p>
${charts}
<ul>${notes}</ul>
</body></html>
`;
}

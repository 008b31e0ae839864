import { describe, expect, it } from 'vitest';
import { renderReport, type RotationMark } from '../../../tools/demo/report.js';
import { Timeline } from '../../../tools/demo/timeline.js';

/** A timeline of `seconds` seconds with `latencies(second)` recorded in each, all ok except `failedAt`. */
function timeline(name: string, seconds: number, latencies: (second: number) => number[], failedAt: number[] = []): Timeline {
  const t = new Timeline(name, 0);
  for (let s = 0; s < seconds; s++) {
    for (const ms of latencies(s)) t.record(!failedAt.includes(s), ms, s * 1000 + 500);
  }
  return t;
}

const svgs = (html: string): string[] => [...html.matchAll(/<svg [\s\S]*?<\/svg>/g)].map((m) => m[0]);

describe('the demo report', () => {
  const rotations: RotationMark[] = [
    { database: 'redshift', passwordChangedAtS: 2, currentMovedAtS: 3 },
    { database: 'redshift', passwordChangedAtS: 6, currentMovedAtS: 7.5 },
    { database: 'documentdb', passwordChangedAtS: 4, currentMovedAtS: 5 },
  ];
  const html = renderReport({
    title: 'demo <test>',
    generatedAt: new Date(0),
    charts: [
      { database: 'redshift', timeline: timeline('credstage', 10, (s) => (s === 2 ? [5, 5, 400] : [5, 6, 7])) },
      { database: 'documentdb', timeline: timeline('read-once', 10, () => [10], [4]) },
    ],
    rotations,
    rows: [{ database: 'redshift', client: 'credstage', ok: 30, failed: 0, p99Ms: 400 }],
    notes: ['a & b'],
  });

  it('draws a throughput chart and a latency chart per client', () => {
    const charts = svgs(html);
    expect(charts).toHaveLength(4);
    expect(charts.map((c) => /aria-label="([^"]+)"/.exec(c)?.[1])).toEqual([
      'credstage operations per second',
      'credstage latency p50 and p99 per second',
      'read-once operations per second',
      'read-once latency p50 and p99 per second',
    ]);
  });

  it("marks each of the chart's database's rotations: the password change, the window, the AWSCURRENT move", () => {
    const [redshiftOps, , documentDbOps] = svgs(html);
    // Two redshift rotations shaded on the redshift client, the one documentdb rotation on the other.
    expect(redshiftOps!.match(/fill="#f5a62333"/g)).toHaveLength(2);
    expect(documentDbOps!.match(/fill="#f5a62333"/g)).toHaveLength(1);
    expect(redshiftOps!.match(/stroke="#e08a00"/g)).toHaveLength(2);
    expect(redshiftOps!.match(/stroke="#36c" stroke-dasharray/g)).toHaveLength(2);
    // The window of the second rotation spans 1.5 s of a 10 s axis: wider than the first one's 1 s.
    const widths = [...redshiftOps!.matchAll(/<rect x="[\d.]+" y="\d+" width="([\d.]+)" height="[\d.]+" fill="#f5a62333"/g)].map((m) => Number(m[1]));
    expect(widths[1]! / widths[0]!).toBeCloseTo(1.5, 1);
  });

  it('plots p50 and p99 per second: the slow operation shows in p99 only, at its second', () => {
    const latency = svgs(html)[1]!;
    expect(latency).toContain('>400 ms</text>'); // the peak is the worst second's p99
    const [p50, p99] = [...latency.matchAll(/<polyline points="([^"]+)"/g)].map((m) => m[1]!.split(' ').map((p) => Number(p.split(',')[1])));
    expect(p50).toHaveLength(10);
    expect(p99).toHaveLength(10);
    // Higher values are drawn higher up (smaller y). In second 2, p99 is at the top; p50 stays low.
    expect(Math.min(...p99!)).toBe(p99![2]);
    expect(p50![2]).toBeGreaterThan(p99![2]! + 50);
  });

  it('shows failures as red bars in their second, escapes text and loads nothing from outside', () => {
    const documentDbOps = svgs(html)[2]!;
    expect(documentDbOps.match(/fill="#d33"/g)).toHaveLength(1);
    expect(html).toContain('<title>demo &lt;test&gt;</title>');
    expect(html).toContain('<li>a &amp; b</li>');
    expect(html).toContain('2 rotations.');
    expect(html).not.toMatch(/<script|https?:\/\//);
  });
});
